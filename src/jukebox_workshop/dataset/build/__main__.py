"""python -m jukebox_workshop.dataset.build generate | convert | validate"""

import sys

from jukebox_workshop.dataset.build.commands import main

sys.exit(main(prog="python -m jukebox_workshop.dataset.build"))
