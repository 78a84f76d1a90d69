"""The wall's session: the store handle, who is signed in, and role checks.

Only the username is kept in Streamlit's session state; the account (role, active flag,
assigned projects) is read from the store on every rerun, so an admin's change takes
effect on the next refresh of every open wall. A reload or a deep link opens a new
Streamlit session: the person is recognised again from the `witness_session` cookie, an
opaque token the store checks (witness/store/logins.py). Streamlit reads cookies
(`st.context.cookies`) but cannot set them, so the cookie is written by a line of script
in the page right after the sign-in, SameSite=Strict, Secure over HTTPS.
"""

from __future__ import annotations

import json
import os

import streamlit as st

import dashboards.texts  # noqa: F401  (registers the wall's strings)
from dashboards.formatting import md_text
from witness.config import Settings
from witness.i18n import current_locale, register, t
from witness.store import Store, logins
from witness.store.accounts import Account, authenticate, get_account, sso_username

register(
    {
        "wall.login.unverified": (
            "单点登录未提供已验证的邮箱（email_verified），无法对应监控墙账号；请联系管理员",
            "single sign-on gave no verified email (email_verified): no wall account can be "
            "matched; ask an admin",
        ),
        "wall.signed_out": (
            "账号已停用或已退出，请重新登录",
            "the account was disabled or signed out; please sign in again",
        ),
    }
)

_USER = "username"  # the one thing about the person kept in session state


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return Store(url)


def store() -> Store:
    return _store(Settings.from_env().database_url)


def locale() -> str:
    return current_locale()


def _cookies() -> dict[str, str]:
    try:
        return dict(st.context.cookies)
    except Exception:  # noqa: BLE001  (no browser context, e.g. bare mode)
        return {}


def session_hours() -> float:
    return float(os.environ.get("WITNESS_SESSION_HOURS") or logins.DEFAULT_HOURS)


def account() -> Account | None:
    """The signed-in account as the store has it now; None once disabled or removed."""
    name = st.session_state.get(_USER)
    if not name:
        return None
    acc = get_account(store().engine, name)
    if acc is None:
        sign_out(notice=True)
    return acc


def auth_configured() -> bool:
    """OIDC sign-in is offered only when .streamlit/secrets.toml has an [auth] section."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001  (no secrets file at all)
        return False


def _sso_claim() -> str | None:
    """The claim SSO accounts are matched on, if an admin chose one ([auth] witness_claim)."""
    try:
        return st.secrets["auth"].get("witness_claim") or os.environ.get("WITNESS_SSO_CLAIM")
    except Exception:  # noqa: BLE001
        return os.environ.get("WITNESS_SSO_CLAIM")


def sign_in() -> Account | None:
    """Who is signed in: this session, else the session cookie, else OIDC (st.login)."""
    if st.session_state.get(_USER):
        return account()
    name = logins.user_of(store().engine, _cookies().get(logins.COOKIE))
    if name and get_account(store().engine, name) is not None:
        st.session_state[_USER] = name
        st.session_state["_session_token"] = _cookies().get(logins.COOKIE)
        return account()
    if auth_configured() and getattr(st.user, "is_logged_in", False):
        claims = st.user.to_dict() if hasattr(st.user, "to_dict") else dict(st.user)
        name = sso_username(claims, _sso_claim())
        if name is None:
            st.error(t("wall.login.unverified"))
            st.stop()
        if get_account(store().engine, name) is None:
            st.error(t("wall.login.no_account", name=md_text(name)))
            st.stop()
        st.session_state[_USER] = name
        return account()
    return None


def _set_cookie(token: str | None) -> None:
    """Write (or, with None, delete) the session cookie from the page; Streamlit cannot."""
    value = json.dumps(token or "")
    max_age = int(session_hours() * 3600) if token else 0
    st.html(
        "<script>document.cookie = "
        f"'{logins.COOKIE}=' + encodeURIComponent({value}) + "
        f"'; Path=/; Max-Age={max_age}; SameSite=Strict' + "
        "(location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )


def write_pending_cookie() -> None:
    """After a sign-in or sign-out, put the cookie in the browser (called once per run)."""
    if "_cookie_pending" in st.session_state:
        _set_cookie(st.session_state.pop("_cookie_pending"))


def _sign_out_clicked() -> None:
    sign_out()
    if auth_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def account_bar(acc: Account) -> None:
    """Who is signed in, and the sign-out button, on one short line."""
    bar = st.container(horizontal=True, vertical_alignment="center", key="account_bar")
    bar.caption(t("wall.signed_in", name=acc.display_name, role=t(f"wall.role.{acc.role}")))
    bar.button(t("wall.logout"), key="logout", on_click=_sign_out_clicked, type="tertiary")


def sign_out(*, notice: bool = False) -> None:
    """End this screen's session (its cookie too); other screens keep theirs."""
    logins.end(store().engine, st.session_state.get("_session_token"))
    st.session_state.clear()
    st.session_state["_cookie_pending"] = None
    if notice:
        st.session_state["_signed_out_notice"] = True


def login_page() -> None:
    st.title(t("wall.login.title"))
    if st.session_state.pop("_signed_out_notice", False):
        st.warning(t("wall.signed_out"))
    with st.form("login"):
        user = st.text_input(t("wall.login.username"), key="login_user")
        pw = st.text_input(t("wall.login.password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("wall.login.submit"))
    if submitted:
        acc = authenticate(store().engine, user.strip(), pw)
        if acc is None:
            st.error(t("wall.login.failed"))
        else:
            token = logins.start(store().engine, acc.username, session_hours())
            st.session_state[_USER] = acc.username
            st.session_state["_session_token"] = token
            st.session_state["_cookie_pending"] = token
            st.rerun()
    if auth_configured() and st.button(t("wall.login.sso"), key="sso"):
        st.login()
    st.caption(t("wall.login.hint"))


def require(page: str) -> Account:
    """Re-check inside each page, against the account as it is now."""
    acc = account()
    if acc is None or not acc.may_open(page):
        st.error(t("wall.denied"))
        st.stop()
    return acc  # type: ignore[return-value]


def still_signed_in(acc: Account) -> None:
    """For fragments (which rerun alone): if the account changed, redraw the whole page."""
    if account() != acc:
        st.rerun()


def visible_project_ids(acc: Account) -> list[str]:
    from dashboards import queries

    ids = [p.project_id for p in queries.projects(store())]
    return [p for p in ids if acc.may_see_project(p)]
