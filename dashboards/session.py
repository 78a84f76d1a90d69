"""The wall's session: the store handle, the signed-in account and role checks."""

from __future__ import annotations

import streamlit as st

import dashboards.texts  # noqa: F401  (registers the wall's strings)
from witness.config import Settings
from witness.i18n import current_locale, t
from witness.store import Store
from witness.store.accounts import Account, authenticate, get_account


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    return Store(url)


def store() -> Store:
    return _store(Settings.from_env().database_url)


def locale() -> str:
    return current_locale()


def account() -> Account | None:
    return st.session_state.get("account")


def auth_configured() -> bool:
    """OIDC sign-in is offered only when .streamlit/secrets.toml has an [auth] section."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001  (no secrets file at all)
        return False


def sign_in() -> Account | None:
    """The signed-in account; via OIDC (st.login) when configured, else the session."""
    acc = account()
    if acc is not None:
        return acc
    if auth_configured() and getattr(st.user, "is_logged_in", False):
        name = st.user.get("email") or st.user.get("preferred_username") or ""
        acc = get_account(store().engine, str(name))
        if acc is None:
            st.error(t("wall.login.no_account", name=name))
            st.stop()
        st.session_state["account"] = acc
        return acc
    return None


def login_page() -> None:
    st.title(t("wall.login.title"))
    with st.form("login"):
        user = st.text_input(t("wall.login.username"), key="login_user")
        pw = st.text_input(t("wall.login.password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("wall.login.submit"))
    if submitted:
        acc = authenticate(store().engine, user.strip(), pw)
        if acc is None:
            st.error(t("wall.login.failed"))
        else:
            st.session_state["account"] = acc
            st.rerun()
    if auth_configured() and st.button(t("wall.login.sso"), key="sso"):
        st.login()
    st.caption(t("wall.login.hint"))


def require(page: str) -> Account:
    """Re-check inside each page: a page not allowed for the role stops here."""
    acc = account()
    if acc is None or not acc.may_open(page):
        st.error(t("wall.denied"))
        st.stop()
    return acc  # type: ignore[return-value]


def visible_project_ids(acc: Account) -> list[str]:
    from dashboards import queries

    ids = [p.project_id for p in queries.projects(store())]
    return [p for p in ids if acc.may_see_project(p)]
