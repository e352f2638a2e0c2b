"""``hygiene.no-error-internals``: error answers show no stack traces or framework internals."""

from __future__ import annotations

import re

from recall_sim.conformance.context import CheckContext, Rejection, RuleResult
from recall_sim.simulator.redaction import redact_text
from recall_sim.simulator.rules import Outcome, Verdict

__all__ = ["INTERNALS", "check_no_error_internals"]

INTERNALS = re.compile(
    "|".join(
        [
            r"Traceback \(most recent call last\)",
            r'File "[^"]+", line \d+',
            r"\bat [\w$.]+\([\w$]+\.(?:java|kt|scala):\d+\)",
            r"\bat .+ \(/?[\w/.-]+\.(?:js|ts|mjs):\d+:\d+\)",
            r"Exception in thread \"",
            r"Werkzeug Debugger|Django Version:|Whitelabel Error Page",
            r"SQLSTATE\[|ORA-\d{5}|psycopg2?\.errors|sqlite3\.\w+Error",
            r"node_modules/",
            r"\bgoroutine \d+ \[running\]",
            r"(?:Fatal|Parse) error: .+ in /.+ on line \d+",
            r"System\.\w+Exception:",
        ]
    )
)

_ODD_SUFFIXES = ("'\"%00<", "%ff%fe", "../../etc/passwd")


def check_no_error_internals(ctx: CheckContext) -> RuleResult:
    rid = "hygiene.no-error-internals"
    # Its own calls would each wait the deadline in vain against a target that hangs.
    skip = ctx.skip_without_answer(rid)
    if skip:
        return skip
    examined = 0
    candidates = ctx.rejections
    for label, url in ctx.missing_credential_urls()[:1]:
        candidates.append(Rejection(label, ctx.call(url), url))
    for part in ctx.secret_parts[:1]:
        for suffix in _ODD_SUFFIXES:
            url = ctx.target.with_part(part, (part.raw_value + suffix,))
            label = f"with {part.label} ending in the characters {suffix}"
            candidates.append(Rejection(label, ctx.call(url), url))
    for candidate in candidates:
        label, observation = candidate.label, candidate.observation
        if observation.status is None or 200 <= observation.status < 300:
            continue
        examined += 1
        text = observation.body.decode("utf-8", "replace")
        match = INTERNALS.search(text)
        if match:
            return RuleResult(
                Verdict(
                    rid,
                    Outcome.WARN,
                    f"the error answer to a request {label} (HTTP {observation.status}) "
                    f"shows internals: {match.group(0)}",
                    {"status": observation.status, "body": redact_text(text)[:400]},
                ),
                ctx.reproduce(candidate),
            )
    if examined == 0:
        return RuleResult(
            Verdict(
                rid,
                Outcome.SKIP,
                "no error answer was seen; name the credential with --secret-param so "
                "requests without it can be sent",
            )
        )
    return RuleResult(Verdict(rid, Outcome.PASS, f"{examined} error answers show no internals"))
