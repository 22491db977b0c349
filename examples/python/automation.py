"""Runs examples/python's program through the Pulumi Automation API, as an inline program: the
Python SDK serves the program to the engine in-process, so no Python language host is needed
(the engine only needs the `pulumi` CLI and the hush plugin).

    python automation.py --stack dev --work-dir DIR config set host 203.0.113.7
    python automation.py --stack dev --work-dir DIR config set privateKey --secret < key
    python automation.py --stack dev --work-dir DIR up | preview | refresh | destroy | outputs

(`pulumi import` on the command line needs the language host: the program imports with the
`import` resource option instead, see hardened_nginx.py's `adopt`.) Each operation prints one JSON line (its summary and the stack outputs). The project file (with the
plugin registered by path: --plugin-dir, default this repository's bin/) and the stack's
settings (Pulumi.<stack>.yaml) live in --work-dir. The engine is the `pulumi` on PATH, or the one under
$HUSH_PULUMI_ROOT/bin; the state backend and passphrase come from the environment
(PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE), as for the CLI.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from pulumi import automation as auto

from hardened_nginx import program

HERE = Path(__file__).resolve().parent


def project_file(plugin_dir: str) -> str:
    """The project settings, with the hush plugin registered by path (plugins.providers)."""
    return (
        "name: hush-python\n"
        "runtime: python\n"
        "plugins:\n"
        "  providers:\n"
        "    - name: hush\n"
        f"      path: {json.dumps(plugin_dir)}\n"
    )


def stack_for(args: argparse.Namespace) -> auto.Stack:
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    (work / "Pulumi.yaml").write_text(project_file(str(Path(args.plugin_dir).resolve())))
    root = os.environ.get("HUSH_PULUMI_ROOT")
    command = auto.PulumiCommand(root=root, skip_version_check=True) if root else None
    opts = auto.LocalWorkspaceOptions(work_dir=str(work), pulumi_command=command)
    return auto.create_or_select_stack(
        stack_name=args.stack, project_name="hush-python", program=program, opts=opts
    )


def summary(result: object) -> dict:
    s = getattr(result, "summary", None)
    if s is None:
        return {}
    return {"result": s.result, "resourceChanges": s.resource_changes}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stack", required=True)
    p.add_argument("--work-dir", required=True)
    p.add_argument("--plugin-dir", default=str(HERE.parent.parent / "bin"))
    sub = p.add_subparsers(dest="op", required=True)
    cfg = sub.add_parser("config")
    cfg.add_argument("verb", choices=["set"])
    cfg.add_argument("key")
    cfg.add_argument("value", nargs="?")
    cfg.add_argument("--secret", action="store_true", help="read the value from standard input")
    sub.add_parser("up")
    pv = sub.add_parser("preview")
    pv.add_argument("--expect-no-changes", action="store_true")
    pv.add_argument("--refresh", action="store_true")
    sub.add_parser("refresh")
    sub.add_parser("destroy")
    sub.add_parser("outputs")
    args = p.parse_args()
    stack = stack_for(args)
    out = sys.stderr.write

    if args.op == "config":
        value = sys.stdin.read() if args.secret else args.value
        if value is None:
            p.error("config set: give a value, or --secret with the value on standard input")
        stack.set_config(args.key, auto.ConfigValue(value=value, secret=args.secret))
        result: dict = {}
    elif args.op == "up":
        r = stack.up(on_output=out)
        result = {**summary(r), "outputs": {k: v.value for k, v in r.outputs.items()}}
    elif args.op == "preview":
        r = stack.preview(on_output=out, expect_no_changes=args.expect_no_changes, refresh=args.refresh)
        result = {"changeSummary": r.change_summary}
    elif args.op == "refresh":
        result = summary(stack.refresh(on_output=out))
    elif args.op == "destroy":
        result = summary(stack.destroy(on_output=out))
    else:
        result = {"outputs": {k: v.value for k, v in stack.outputs().items()}}
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
