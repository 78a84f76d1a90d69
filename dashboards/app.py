"""Entry point of the wall: sign-in, then only the pages the account's role may open.

Run with `witness wall` (or `streamlit run dashboards/app.py`). Pages not allowed for a
role are never registered with st.navigation, and each page re-checks the role itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from dashboards import session, style  # noqa: E402
from witness.i18n import t  # noqa: E402

PAGES = {
    "wall": ("views/wall.py", "📺"),
    "project": ("views/project.py", "📁"),
    "global": ("views/global_alerts.py", "🌐"),
    "archive": ("views/archive.py", "🗄️"),
    "ops": ("views/ops.py", "🛠️"),
}

st.set_page_config(page_title=t("wall.app_title"), layout="wide")
style.base()

acc = session.sign_in()
if acc is None:
    session.write_pending_cookie()  # a sign-out deletes the cookie
    # The sign-in page answers at every page's address, so a deep link or a reload asks
    # for a sign-in (then lands where it pointed) instead of Streamlit's "Page not found".
    login_pages = [st.Page(session.login_page, title=t("wall.login.title"), default=True)]
    login_pages += [
        st.Page(session.login_page, title=t("wall.login.title"), url_path=name) for name in PAGES
    ]
    st.navigation(login_pages, position="hidden").run()
    st.stop()
session.write_pending_cookie()  # right after a sign-in: the cookie that survives a reload

allowed = [name for name in PAGES if acc.may_open(name)]
pages = [
    st.Page(
        PAGES[name][0],
        title=t(f"wall.page.{name}"),
        icon=PAGES[name][1],
        url_path=name,
        default=i == 0,
    )
    for i, name in enumerate(allowed)
]
# Pages are in the top bar; who is signed in and the sign-out sit at the top of each page
# (on the wall, beside the feed: its grid takes the whole height), so there is no sidebar.
page = st.navigation(pages, position="top")
if page.title != t("wall.page.wall"):
    session.account_bar(acc)
page.run()
