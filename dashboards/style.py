"""The wall's CSS: a compact 2 × 2 grid that fits 1920 × 1080, Frigate-style tiles, and
Chinese where Streamlit itself would speak English.

Streamlit lets an app style what it renders (keyed containers get a `st-key-KEY` class)
but not translate its own frame. What it does say is handled here:
- the connection-lost dialog ("Connection error", not configurable, streamlit#12661): the
  frame's own dialogs are hidden (the wall uses no st.dialog; with the minimal toolbar
  the frame opens a dialog only when the server is lost or errs) and while one is up, or
  the frame shows its connection status, a Chinese banner every page carries is shown
  instead (CSS `:has()`, no script);
- "Press Enter to submit form" under form inputs is hidden (the button says it), and so
  is the status widget's "Stop" (the wall's reruns are its timers);
- the toolbar's English menu is off (`--client.toolbarMode minimal`, witness/commands/wall.py).
"""

from __future__ import annotations

import streamlit as st

from witness.i18n import t

#: Vertical space the wall's own rows take besides the tiles (header, panel titles, captions).
_CHROME_PX = 372

BASE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding: 3.2rem 1.2rem 0.4rem 1.2rem; max-width: 100%%; }
[data-testid="stHeader"] { height: 2.6rem; }
[data-testid="InputInstructions"] { display: none; }
.st-key-account_bar { justify-content: flex-end; gap: 0.5rem; }
.st-key-account_bar [data-testid="stCaptionContainer"] p { margin: 0; }
[data-testid="stStatusWidget"] button { display: none; }  /* "Stop": the wall reruns itself */
#wt-offline { display: none; }
body:has(> [data-testid="stDialog"]) #wt-offline,
body:has([data-testid="stConnectionStatus"]) #wt-offline {
  display: block; position: fixed; z-index: 1000100; top: 0; left: 0; right: 0;
  padding: 0.8rem 1.2rem; background: #fff4e5; color: #8a4b00; font-size: 1.05rem;
  border-bottom: 2px solid #f0a040; text-align: center;
}
body > [data-testid="stDialog"] { display: none !important; }
[data-testid="stConnectionStatus"] label { display: none; }
[data-testid="stConnectionStatus"]::after { content: "%(status)s"; font-size: 0.85rem; }
</style>
<div id="wt-offline" role="alert">%(offline)s</div>
"""

WALL_CSS = """
<style>
/* two rows of panels, three rows of tiles each: the picture height follows the screen */
:root { --wt-tile-h: max(52px, calc((100vh - %(chrome)spx) / 6)); }
.st-key-wall_grid [data-testid="stVerticalBlock"] { gap: 0.25rem; }
[class*="st-key-panel_"] { padding: 0.25rem 0.4rem !important; }
.wt-head { font-size: 0.92rem; line-height: 1.4rem; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.wt-stage { color: #666; font-size: 0.8rem; margin-left: 0.4rem; }
.wt-sev { font-size: 0.8rem; margin-left: 0.3rem; }
.st-key-wall_controls { gap: 0.1rem; }
[class*="st-key-msg_"] { flex-wrap: nowrap !important; }
[class*="st-key-msg_"] [data-testid="stAlertContainer"] { padding: 0.35rem 0.6rem; }
[class*="st-key-msg_"] [data-testid="stAlertContainer"] p { font-size: 0.85rem; }
.st-key-wall_controls [data-testid="stCaptionContainer"] p { margin: 0; font-size: 0.75rem; }
.wt-tile { border-radius: 6px; padding: 2px; border: 2px solid transparent;
  transition: opacity 0.6s, filter 0.6s; overflow: hidden; }
.wt-tile img, .wt-tile .wt-nopic { display: block; width: 100%%; height: var(--wt-tile-h);
  object-fit: cover; border-radius: 4px; background: #2b2b2b; }
.wt-tile .wt-nopic { display: flex; align-items: center; justify-content: center; color: #bbb;
  font-size: 0.85rem; }
.wt-cap { font-size: 0.72rem; color: #555; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; line-height: 1.25rem; }
.wt-hot { border-color: #e0282e; box-shadow: 0 0 6px 1px rgba(224, 40, 46, 0.6); }
.wt-hot .wt-cap { color: #b3141a; font-weight: 600; }
.wt-live { border-color: #3a9a5b; }
.wt-idle { opacity: 0.5; filter: grayscale(0.7); }
[class*="st-key-panel_"] [data-testid="stHeaderActionElements"] { display: none; }
[class*="st-key-panel_"] [data-testid="stCaptionContainer"] p { margin: 0; line-height: 1.2rem; }
/* the column beside the grid scrolls on its own; the page itself never does */
.st-key-wall_side { max-height: calc(100vh - 4.2rem); overflow-y: auto; padding-right: 0.3rem;
  flex-wrap: nowrap; }
.st-key-wall_side [data-testid="stExpander"] summary p { font-size: 0.85rem; }
.st-key-wall_side h3 { font-size: 1.05rem; padding: 0 0 0.3rem 0; }
/* 1024-1366 px screens: narrower feed text, smaller captions; the grid still fits */
@media (max-width: 1366px) {
  [data-testid="stMainBlockContainer"] { padding: 3.2rem 0.5rem 0.4rem 0.5rem; }
  .wt-cap { font-size: 0.62rem; line-height: 1rem; }
  .st-key-wall_side [data-testid="stExpander"] summary p { font-size: 0.75rem; }
  .wt-head { font-size: 0.78rem; }
}
</style>
"""


def base() -> None:
    """On every page: compact spacing and the Chinese connection-lost banner."""
    st.html(BASE_CSS % {"offline": t("wall.offline"), "status": t("wall.offline.status")})


def wall() -> None:
    st.html(WALL_CSS % {"chrome": _CHROME_PX})


def css_key(*parts: str) -> str:
    """A widget/container key that is also a valid CSS class name."""
    return "_".join("".join(c if c.isalnum() or c in "-" else "-" for c in p) for p in parts)
