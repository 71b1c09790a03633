"""After sign-in the browser only ever lands on this origin (no open redirect)."""

from __future__ import annotations

import pytest

from periscope_core.services.sessions import safe_return_path


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.tld",
        "//evil.tld",
        "/\\evil.tld",
        "\\\\evil.tld",
        "https:evil.tld",
        "%2F%2Fevil.tld",
        "/%2F%2Fevil.tld",
        "/%252F%252Fevil.tld",
        "/%5Cevil.tld",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "/\t/evil.tld",
        "/\n/evil.tld",
        " /clusters",
        "clusters/prod",
        "",
        None,
        "/" + "a" * 5000,
    ],
)
def test_off_site_targets_become_the_root(target: str | None) -> None:
    assert safe_return_path(target) == "/"


@pytest.mark.parametrize(
    "target",
    ["/", "/clusters/prod/pods?namespace=web", "/ok?x=https://evil.tld", "/a/b#frag", "/search?q=a%20b"],
)
def test_same_origin_paths_are_kept(target: str) -> None:
    assert safe_return_path(target) == target


@pytest.mark.parametrize("target", ["/%09/evil.tld", "/%0a/evil.tld", "/%2F%09%2Fevil.tld"])
def test_encoded_whitespace_tricks_are_refused(target: str) -> None:
    assert safe_return_path(target) == "/"
