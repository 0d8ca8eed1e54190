#!/usr/bin/env python
"""Django's command-line utility; `telekam` is the same entry point, installed on PATH."""

from telekam.cli import main

if __name__ == "__main__":
    main()
