"""The examples and exit codes at the foot of ``recall-sim --help`` and each command's help."""

from __future__ import annotations

__all__ = ["EPILOGS", "MAIN_EPILOG", "help_epilog"]

_CONFIG = """\
configuration: every option can also come from RECALL_SIM_<OPTION> (e.g.
RECALL_SIM_SIGNING_SECRET, RECALL_SIM_URL) or from recall-sim.toml / [tool.recall-sim]
in pyproject.toml; flags beat the environment, which beats the file. Keep secrets
(the URL's token, the signing secret) in the environment, not on the command line.
"""

MAIN_EPILOG = f"""\
examples:
  recall-sim probe 'https://example.com/zoom/token?user-id=1&auth_token=...'
  RECALL_SIM_URL='https://...' RECALL_SIM_SIGNING_SECRET=whsec_... recall-sim check
  recall-sim check --report-json report.json --junitxml junit.xml
  recall-sim serve --port 8700
  recall-sim watch --duration 600 --until-fail

exit codes (probe, check, watch):
  0    no rule failed (warnings allowed unless --strict)
  1    at least one rule failed
  2    usage or environment error (bad option, target unreachable before any rule ran)
  130  interrupted (Ctrl-C)

{_CONFIG}"""

EPILOGS = {
    "probe": f"""\
examples:
  recall-sim probe 'https://example.com/zoom/token?user-id=1&auth_token=...'
  RECALL_SIM_URL='https://...' RECALL_SIM_SIGNING_SECRET=whsec_... recall-sim probe --json

exit codes:
  0    Recall would accept the answer
  1    a rule failed (the answer would be rejected)
  2    usage error (bad option, a URL that cannot be called)

{_CONFIG}""",
    "check": f"""\
examples:
  recall-sim check 'https://example.com/zoom/token?user-id=1&auth_token=...'
  RECALL_SIM_URL='https://...' RECALL_SIM_SIGNING_SECRET=whsec_... recall-sim check \\
      --client-id YOUR_CLIENT_ID --report-json report.json --junitxml junit.xml
  recall-sim check --rule auth --seed 1234        # replay one run's credential fuzzing
  recall-sim check 'https://example.com/zoom/obf-token?user-id=U&auth_token=...' \\
      --kind obf --expect-user-id U --zoom-admin http://127.0.0.1:8700/_sim/zoom

exit codes:
  0    no rule failed (warnings allowed unless --strict)
  1    at least one rule failed
  2    usage or environment error (bad option, target unreachable before any rule ran)
  130  interrupted (Ctrl-C); the reports of the rules that finished are written

{_CONFIG}""",
    "watch": f"""\
examples:
  recall-sim watch 'https://example.com/zoom/token?user-id=1&auth_token=...'
  RECALL_SIM_URL='https://...' recall-sim watch --duration 600 --until-fail --jsonl calls.jsonl

exit codes: 0 no rule failed on any call (warnings allowed unless --strict), 1 a rule
failed on some call, 2 usage or environment error (the target unreachable at the first
call), 130 Ctrl-C before the end asked with --duration or --until-fail. Without either,
Ctrl-C is how the watch ends: it writes the reports and exits 0 or 1 by the verdicts.

{_CONFIG}""",
    "serve": """\
examples:
  recall-sim serve --port 8700
  recall-sim serve --port 8700 --zoom-port 8701 --state recall.sqlite
  recall-sim serve --host 0.0.0.0 --ready-file ready.json   # a CI service

environment: RECALL_SIM_API_KEY and RECALL_SIM_VERIFICATION_SECRET (instead of
--api-key and --verification-secret, kept out of argv); RECALL_SIM_CONTROL_TOKEN, the
token every /_sim control needs beyond loopback (the banner shows its fingerprint).

exit codes: 0 stopped (Ctrl-C), 2 usage error (bad option, port in use).
""",
    "report": """\
examples:
  recall-sim serve --journal-file calls.jsonl   # then, after the run:
  recall-sim report calls.jsonl --html report.html

exit codes: 0 written, 2 usage error (a missing or malformed journal, an unwritable path).
""",
}


def help_epilog(command: str) -> str | None:
    return EPILOGS.get(command)
