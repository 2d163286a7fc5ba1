"""The default workspace name is shown in the page's language; a name the
user set is shown as written."""

from __future__ import annotations

from collections.abc import Callable

from abmkpi.i18n import DEFAULT_WORKSPACE_NAME, workspace_name
from abmkpi.workspace import Workspace
from tests.web_support import serving


def test_default_name_translated() -> None:
    assert DEFAULT_WORKSPACE_NAME == "ABM workspace"
    assert workspace_name("ABM workspace", "ja") == "ABM ワークスペース"
    assert workspace_name("ABM workspace", "en") == "ABM workspace"


def test_own_name_kept() -> None:
    assert workspace_name("営業本部 ABM", "ja") == "営業本部 ABM"
    assert workspace_name("abm workspace", "ja") == "abm workspace"


def test_page_header_default_name(make_workspace: Callable[..., Workspace]) -> None:
    with serving(make_workspace()) as (server, _), server.client() as client:
        japanese = client.get("/health?lang=ja").text
        english = client.get("/health?lang=en").text
    assert '<span class="brand-workspace">ABM ワークスペース</span>' in japanese
    assert '<span class="brand-workspace">ABM workspace</span>' in english


def test_page_header_own_name(make_workspace: Callable[..., Workspace]) -> None:
    workspace = make_workspace(workspace={"name": "営業本部 ABM"})
    with serving(workspace) as (server, _), server.client() as client:
        japanese = client.get("/health?lang=ja").text
    assert '<span class="brand-workspace">営業本部 ABM</span>' in japanese
