"""python -m jukebox_workshop.dataset generate | convert | validate"""

import sys

from .commands import main

sys.exit(main(prog="python -m jukebox_workshop.dataset"))
