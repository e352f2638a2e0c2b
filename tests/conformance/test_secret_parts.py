"""Which URL parts carry the credential: named parts must exist, and no label shows a secret."""

from __future__ import annotations

import pytest

from recall_sim.conformance.config import CheckConfig, UsageError
from recall_sim.conformance.url_parts import UrlParts

URL = "http://127.0.0.1:9/cb/user-1/s3cr3tSegment?user-id=1&auth_token=s3cr3tValue"


def test_a_bare_query_item_is_labelled_without_its_name() -> None:
    parts = UrlParts.parse("http://127.0.0.1:9/cb?user-id=1&NOEQs3cr3tKeyValue").candidate_parts()
    labels = " ".join(part.label for part in parts)
    assert "NOEQs3cr3tKeyValue" not in labels
    assert "query item 2 (a bare value, no '=')" in labels
    assert 'query parameter "user-id"' in labels


@pytest.mark.parametrize(
    ("index", "segment"), [(0, "cb"), (2, "s3cr3tSegment"), (-1, "s3cr3tSegment")]
)
def test_path_segments_count_from_either_end(index: int, segment: str) -> None:
    [part] = UrlParts.parse(URL).named_parts((), index)
    assert part.raw_value == segment


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"secret_params": ("auth_tokn",)},
            "--secret-param auth_tokn: the URL has no such query parameter "
            "(it has: user-id, auth_token)",
        ),
        ({"secret_path_segment": 3}, "--secret-path-segment 3: the URL has 3 path segment(s)"),
        ({"secret_path_segment": -4}, "--secret-path-segment -4: the URL has 3 path segment(s)"),
    ],
)
def test_a_named_part_the_url_lacks_is_a_usage_error(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError) as raised:
        CheckConfig(url=URL, **options).validate()  # type: ignore[arg-type]
    assert str(raised.value).startswith(message)
    assert "s3cr3t" not in str(raised.value)
