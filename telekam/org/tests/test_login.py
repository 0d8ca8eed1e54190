import datetime as dt

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.test import Client
from django.urls import reverse

from telekam.core import clock
from telekam.org.models import ApiToken, LoginFailure
from telekam.org.services import api_token_create, api_token_revoke
from telekam.org.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def post_login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_redirects_to_the_start_page():
    user = UserFactory(username="am1")
    client = Client()
    response = post_login(client, "am1", TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home"))["Location"] == reverse("dashboards:dashboard")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert LoginFailure.objects.count() == 0


def test_pages_require_login():
    response = Client().get(reverse("accounts:my_accounts"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_lockout_after_repeated_failures(settings):
    settings.TELEKAM_LOGIN_MAX_FAILURES = 3
    UserFactory(username="am1")
    client = Client()
    for _ in range(3):
        response = post_login(client, "am1", "wrong-password")
        assert response.status_code == 200
    assert LoginFailure.objects.filter(username="am1").count() == 3
    # Now even the right password is refused while the lock lasts.
    response = post_login(client, "am1", TEST_PASSWORD)
    assert response.status_code == 200
    assert "已临时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lock_expires_after_the_window(settings):
    settings.TELEKAM_LOGIN_MAX_FAILURES = 2
    settings.TELEKAM_LOGIN_LOCK_SECONDS = 600
    UserFactory(username="am1")
    past = clock.now() - dt.timedelta(seconds=601)
    LoginFailure.objects.bulk_create([LoginFailure(username="am1", at=past) for _ in range(5)])
    response = post_login(Client(), "am1", TEST_PASSWORD)
    assert response.status_code == 302
    assert LoginFailure.objects.count() == 0


def test_other_usernames_are_not_locked(settings):
    settings.TELEKAM_LOGIN_MAX_FAILURES = 1
    UserFactory(username="am1")
    UserFactory(username="am2")
    post_login(Client(), "am1", "wrong")
    assert post_login(Client(), "am2", TEST_PASSWORD).status_code == 302


def test_production_hasher_is_argon2(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    encoded = make_password("Correct-Horse-42")
    assert encoded.startswith("argon2$")
    assert check_password("Correct-Horse-42", encoded)


def test_sessions_expire(settings):
    from config.settings import base

    assert base.SESSION_COOKIE_AGE == 8 * 3600
    assert base.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_api_tokens_store_only_a_hash():
    user = UserFactory()
    token, key = api_token_create(user=user, name="手机")
    assert key.startswith("tk_")
    assert token.key_hash == ApiToken.hash_key(key)
    assert key not in token.key_hash
    assert api_token_revoke(user=user, token_id=token.pk) is True
    other = UserFactory()
    assert api_token_revoke(user=other, token_id=token.pk) is False


def test_token_page_shows_new_key_once():
    user = UserFactory()
    client = Client()
    client.login(username=user.username, password=TEST_PASSWORD)
    response = client.post(reverse("tokens"), {"name": "手机客户端"})
    assert response.status_code == 200
    assert response.context["new_key"].startswith("tk_")
    assert "手机客户端" in client.get(reverse("tokens")).content.decode()
    assert client.get(reverse("tokens")).context["new_key"] is None
