"""URLs are masked exactly as given: matrix parameters, fragments, named parts, no re-encoding."""

from __future__ import annotations

import pytest

from recall_sim.simulator.redaction import (
    SecretPolicy,
    mask_headers,
    mask_url,
    split_secrets,
)

SECRET = "s3cr3t-Value-0042"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        # Matrix parameters in a path segment, secret by name.
        (f"https://cb.example/cb;auth_token={SECRET}/x", "https://cb.example/cb;auth_token=***/x"),
        (
            f"https://cb.example/cb;user=7;auth_token={SECRET}?lang=en",
            "https://cb.example/cb;user=7;auth_token=***?lang=en",
        ),
        # Fragments: never sent, but printed with the URL.
        (f"https://cb.example/cb#auth_token={SECRET}", "https://cb.example/cb#auth_token=***"),
        (
            f"https://cb.example/cb?user-id=1#lang=en&auth_token={SECRET}",
            "https://cb.example/cb?user-id=1#lang=en&auth_token=***",
        ),
        # A ';' inside a query value: a server that splits on it reads auth_token there.
        (
            f"https://cb.example/cb?x=1;auth_token={SECRET}",
            "https://cb.example/cb?x=1;auth_token=***",
        ),
        # ... and a secret value with a ';' in it is masked whole.
        (f"https://cb.example/cb?auth_token={SECRET};more", "https://cb.example/cb?auth_token=***"),
    ],
)
def test_matrix_parameters_and_fragments_are_masked(url: str, masked: str) -> None:
    assert mask_url(url) == masked


@pytest.mark.parametrize(
    "url",
    [
        "https://cb.example/cb?NOEQSECRET",
        "https://cb.example/cb?a=1&a=2&a=1&user-id=0001",
        "https://cb.example/cb?x=%zz&y=%41%2f&z=a+b&w=%E2%82%AC&v=&&",
        "https://cb.example/a%2Fb/c;v=1?q=%20#frag%20ment",
        "https://cb.example/cb?q='x'&r=$HOME&s=`id`",
    ],
)
def test_urls_without_secrets_are_shown_byte_for_byte(url: str) -> None:
    assert mask_url(url) == url


def test_masking_changes_only_the_secret_values() -> None:
    url = f"https://cb.example/cb?NOEQSECRET&auth_token={SECRET}&x=%zz&auth_token=two%2B2&y=a+b"
    assert (
        mask_url(url)
        == "https://cb.example/cb?NOEQSECRET&auth_token=***&x=%zz&auth_token=***&y=a+b"
    )


def test_named_parameters_are_masked_wherever_they_are() -> None:
    url = f"https://cb.example/u;code={SECRET}/x?code={SECRET}&lang=en#code={SECRET}"
    assert mask_url(url) == url  # 'code' does not look like a secret by name
    masked = mask_url(url, secret_params=["code"])
    assert masked == "https://cb.example/u;code=***/x?code=***&lang=en#code=***"
    # Names match as the server decodes them, case aside.
    assert mask_url("https://cb.example/?C%6Fde=abcdef", secret_params=["code"]).endswith("=***")


def test_a_named_item_without_a_value_is_masked_whole() -> None:
    url = f"https://cb.example/cb?user-id=1&{SECRET}"
    assert mask_url(url, secret_params=[SECRET]) == "https://cb.example/cb?user-id=1&***"
    random_item = "https://cb.example/cb?k9Fq2LmXv8RtYp3Wz7Hs5Jd1"
    assert mask_url(random_item) == "https://cb.example/cb?***"


@pytest.mark.parametrize(
    ("index", "masked"),
    [
        (0, "https://cb.example/***/users/u1?lang=en"),
        (2, "https://cb.example/hooks/users/***?lang=en"),
        (-1, "https://cb.example/hooks/users/***?lang=en"),
        (-3, "https://cb.example/***/users/u1?lang=en"),
        (3, "https://cb.example/hooks/users/u1?lang=en"),  # no such segment: nothing to mask
    ],
)
def test_path_segments_are_masked_by_index_counting_from_either_end(
    index: int, masked: str
) -> None:
    url = "https://cb.example/hooks/users/u1?lang=en"
    assert mask_url(url, secret_path_segments=[index]) == masked
    assert SecretPolicy(path_segments=(index,)).mask_url(url) == masked


def test_a_named_segment_is_masked_with_its_matrix_parameters() -> None:
    url = f"https://cb.example/u/{SECRET};v=2/x"
    assert mask_url(url, secret_path_segments=[1]) == "https://cb.example/u/***/x"


def test_the_heuristic_still_applies_beside_named_parts() -> None:
    url = f"https://cb.example/cb?code=abc123&auth_token={SECRET}"
    assert mask_url(url, secret_params=["code"]) == "https://cb.example/cb?code=***&auth_token=***"


def test_the_policy_lists_the_secret_values_as_written_and_decoded() -> None:
    url = "https://cb.example/x/s%2Fgment?code=a%2Bb+c&lang=en"
    values = SecretPolicy(params=("code",), path_segments=(1,)).values(url)
    assert set(values) == {"s%2Fgment", "s/gment", "a%2Bb+c", "a+b+c", "a+b c"}
    assert "en" not in values


def test_split_secrets_joins_back_to_the_url() -> None:
    url = f"https://amy:pw@cb.example/a;sig=1/{SECRET}?NOEQ&auth_token=x%zz&a=1#auth_token=f"
    pieces = split_secrets(url, SecretPolicy(path_segments=(1,))).pieces
    rebuilt = "".join(p if isinstance(p, str) else p.raw_value for p in pieces)
    assert rebuilt == url
    kinds = [p.kind for p in pieces if not isinstance(p, str)]
    assert kinds == ["userinfo", "matrix", "path", "query", "fragment"]


def test_show_returns_the_url_untouched_and_an_unparseable_url_is_masked_whole() -> None:
    url = f"https://cb.example/cb;auth_token={SECRET}"
    assert mask_url(url, show=True) == url
    assert SecretPolicy().mask_url(url, show=True) == url
    assert mask_url(f"http://[::1/cb?auth_token={SECRET}") == "***"


def test_policy_rejects_what_cannot_name_a_part() -> None:
    with pytest.raises(ValueError, match="non-empty name"):
        SecretPolicy(params=("",))
    with pytest.raises(ValueError, match="an index"):
        SecretPolicy(path_segments=(True,))


def test_an_empty_credential_header_stays_empty() -> None:
    # Nothing to hide, and a reproduction of "an empty signature" must send an empty one.
    assert mask_headers({"webhook-signature": ""}) == {"webhook-signature": ""}
