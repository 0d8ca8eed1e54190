"""Plausible identity data from one seeded random source: people, phones, places, USCCs.

Every draw goes through `Forge.rng`, so the same seed gives the same data. Values that
must be unique (credit codes, mobile numbers, circuit numbers) are tracked here.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from telekam.core.validators import uscc_check_character
from telekam.demo import data

T = TypeVar("T")

# GB 11714 organisation code: weights of the 8 body characters.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_LETTERS = "ABCDEFGHJKLMNPQRTUWXY"  # letters that are also valid in a USCC


@dataclass(frozen=True)
class Person:
    surname: str
    given: str
    surname_pinyin: str
    given_pinyin: str

    @property
    def name(self) -> str:
        return f"{self.surname}{self.given}"


@dataclass(frozen=True)
class Place:
    """Where an organisation sits: enough to write its address, phone and circuit ends."""

    province: str  # 北京市 / 江苏省
    city: str  # 北京 / 苏州
    prefix: str  # 北京市朝阳区 / 江苏省苏州市虎丘区
    division: str  # administrative division code for the credit code
    area_code: str  # 010
    phone_prefixes: tuple[str, ...]  # first subscriber digits; empty means any
    streets: tuple[str, ...]
    telecom_office: str  # 朝阳分局
    circuit_code: str  # BJ
    district: data.District | None = None  # set for Beijing places


def beijing_place(district: data.District) -> Place:
    return Place(
        province="北京市",
        city="北京",
        prefix=f"北京市{district.name}",
        division=district.code,
        area_code="010",
        phone_prefixes=district.phone_prefixes,
        streets=district.streets,
        telecom_office=district.telecom_office,
        circuit_code="BJ",
        district=district,
    )


def city_place(province: data.Province, city: data.City, office: str) -> Place:
    return Place(
        province=province.name,
        city=city.label,
        prefix=city.prefix,
        division=city.code,
        area_code=city.area_code,
        phone_prefixes=(),
        streets=city.streets,
        telecom_office=f"{city.label}电信{office}",
        circuit_code=province.circuit_code,
    )


class Forge:
    """The generator's source of names, numbers and places."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._surnames = list(data.SURNAMES)
        self._surname_weights = [w for _, w in data.SURNAMES.values()]
        self._districts = list(data.DISTRICTS)
        self._district_weights = [d.weight for d in data.DISTRICTS]
        self._brand_chars = list(data.BRAND_CHARS)
        self.used_uscc: set[str] = set()
        self.used_mobiles: set[str] = set()
        self.used_numbers: set[str] = set()
        self.used_names: set[str] = set()

    # --- generic draws ------------------------------------------------------------------

    def pick(self, items: Sequence[T]) -> T:
        return items[self.rng.randrange(len(items))]

    def weighted(self, items: Sequence[T], weights: Sequence[float]) -> T:
        return self.rng.choices(items, weights=weights, k=1)[0]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    # --- people -------------------------------------------------------------------------

    def person(self) -> Person:
        surname = self.weighted(self._surnames, self._surname_weights)
        pool = data.GIVEN_MALE if self.chance(0.55) else data.GIVEN_FEMALE
        chars = list(pool)
        first = self.pick(chars)
        if self.chance(0.25):
            given = first
        else:
            second = self.pick(chars)
            if second == first and first not in data.DOUBLED_OK:
                second = self.pick([c for c in chars if c != first])
            given = first + second
        return Person(
            surname=surname,
            given=given,
            surname_pinyin=data.SURNAMES[surname][0],
            given_pinyin="".join(pool[c] for c in given),
        )

    def mobile(self, *, telecom: bool = False) -> str:
        prefixes = data.TELECOM_MOBILE_PREFIXES if telecom else data.MOBILE_PREFIXES
        while True:
            number = f"{self.pick(prefixes)}{self.rng.randrange(10**8):08d}"
            if number not in self.used_mobiles:
                self.used_mobiles.add(number)
                return number

    def landline(self, place: Place) -> str:
        """A landline of the place's area: 010-65012345, 0512-6781234."""
        length = 8 if len(place.area_code) == 3 else 7
        head = (
            self.pick(place.phone_prefixes) if place.phone_prefixes else str(self.rng.randint(2, 8))
        )
        rest = length - len(head)
        return f"{place.area_code}-{head}{self.rng.randrange(10**rest):0{rest}d}"

    # --- identifiers --------------------------------------------------------------------

    def uscc(self, kind: str | None, division: str) -> str | None:
        """A unified social credit code with valid organisation-code and check characters."""
        if kind is None:  # military units have none
            return None
        while True:
            code17 = data.USCC_PREFIX[kind] + division + self._organisation_code()
            code = code17 + uscc_check_character(code17)
            if code not in self.used_uscc:
                self.used_uscc.add(code)
                return code

    def _organisation_code(self) -> str:
        if self.chance(0.3):  # registered after 2015: MA + six characters
            body = "MA" + "".join(self.pick("0123456789" + _ORG_LETTERS) for _ in range(6))
        else:
            body = str(self.rng.randint(1, 9)) + f"{self.rng.randrange(10**7):07d}"
        total = sum(_org_value(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
        check = 11 - total % 11
        check_char = {10: "X", 11: "0"}.get(check, str(check))
        return body + check_char

    def unique_number(self, make: str, width: int) -> str:
        """A service number `make` + zero-padded random digits, unique in this run."""
        while True:
            number = f"{make}{self.rng.randrange(10**width):0{width}d}"
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    def unique_landline_number(self, place: Place) -> str:
        """A voice-trunk pilot number: area code and subscriber number without a dash."""
        while True:
            number = self.landline(place).replace("-", "")
            if number not in self.used_numbers:
                self.used_numbers.add(number)
                return number

    # --- places and brands --------------------------------------------------------------

    def district(self, *, uniform: bool = False) -> data.District:
        if uniform:
            return self.pick(self._districts)
        return self.weighted(self._districts, self._district_weights)

    def address(self, place: Place, *, building: bool = True, street: str = "") -> str:
        street = street or self.pick(place.streets)
        number = self.rng.randint(1, 40) if self.chance(0.6) else self.rng.randint(41, 200)
        text = f"{place.prefix}{street}{number}号"
        if building:
            brand, _ = self.brand()
            floor = self.rng.randint(2, 28)
            text += f"{brand}{self.pick(data.BUILDING_SUFFIXES)}{floor}层"
            if self.chance(0.5):
                text += f"{floor}{self.rng.randint(1, 20):02d}室"
        return text

    def brand(self) -> tuple[str, str]:
        """Two auspicious characters and their pinyin: ("华信", "huaxin")."""
        first = self.pick(self._brand_chars)
        second = self.pick(self._brand_chars)
        while second == first:
            second = self.pick(self._brand_chars)
        return first + second, data.BRAND_CHARS[first] + data.BRAND_CHARS[second]

    def foreign_brand(self) -> tuple[str, str]:
        zh, latin = self.pick(data.FOREIGN_BRANDS)
        return zh, latin.lower().replace(" ", "")


def _org_value(char: str) -> int:
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10
