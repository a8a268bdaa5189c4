"""``python -m sync_server``: the admin console (see ``sync_server.cli``)."""

import sys

from sync_server.cli import main

sys.exit(main())
