"""What the wall lays out and how often it refreshes (一人多岗、一屏多看)."""

from __future__ import annotations

#: Seconds between refreshes: tiles with open alerts and the feed fast, idle tiles slowly.
FAST_S = 2.0
SLOW_S = 15.0
MAX_PROJECTS = 4
MAX_TILES = 9
#: The feed: the most urgent FEED_CARDS alerts as cards with actions, the rest as lines.
FEED_CARDS = 10
FEED_SIZE = 30
