"""`safe_next`: where a page may send someone after signing in — only a path on this site."""

from __future__ import annotations

import pytest

from compound.platform.pages import safe_next


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/ /evil.example",
        "/\x00",
        "/\x7f/evil.example",
        "/\u00a0/evil.example",
        "evil.example",
        "",
        None,
    ],
)
def test_anything_but_a_plain_path_on_this_site_goes_home(target: str | None) -> None:
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/inbox", "/companies?q=acme%20labs&after=x", "/runs/1#top"])
def test_a_path_on_this_site_is_kept(target: str) -> None:
    assert safe_next(target) == target
