"""`python -m api.cli`: the `salesledger` command."""

import sys

from api.cli import main

sys.exit(main())
