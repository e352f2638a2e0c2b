"""The files a GitHub Actions step writes to hand values on (``$GITHUB_ENV``,
``$GITHUB_OUTPUT``), read as the runner reads them."""

from __future__ import annotations

__all__ = ["parse_github_file"]


def parse_github_file(text: str) -> dict[str, str]:
    """``NAME=value`` lines and ``NAME<<DELIM`` blocks (ending at a line ``DELIM``)."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block: list[str] = []
            for item in lines:
                if item == delimiter:
                    break
                block.append(item)
            values[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
    return values
