"""`nija migrate ...` run as an operator runs it, in its own process, with the brokers' recorded
answers (tests/fixtures/brokers) in place of the network: no key check reaches an exchange."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the recorded answers

from fixtures.brokers.answers import Answers

from nija.adapters.brokers import override_client_settings
from nija.cli import main

if __name__ == "__main__":
    with override_client_settings(adapter=Answers(), enable_rate_limit=False):
        sys.exit(main(sys.argv[1:]))
