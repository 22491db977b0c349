"""Harden nginx on one host with hush, from Python (examples/python).

Config (pulumi config set …): host, port (22), hostKey (SHA256:… or a key line: required),
privateKey (secret: the key's contents), profileSeconds (10), mode (conservative), and
optionally profile: a profile's JSON taken elsewhere (`hush profile -o`, or another stack's
profileJson output), which skips profiling; and adopt: a JSON list of drop-ins to take over
from the host, each {"name", "unit", "id", "content"}: the unit's hush drop-in (written by
`hush apply`, say) or a unit hardened by hand, imported by `id` ([user@]host[:port]/unit#hostKey;
credentials from HUSH_IMPORT_PRIVATE_KEY_FILE or the ssh-agent), then kept at `content`.
"""

import pulumi

from hush import HardenedService, HardeningDropIn


def program() -> None:
    config = pulumi.Config()
    connection = {
        "host": config.require("host"),
        "port": config.get_int("port") or 22,
        "hostKey": config.require("hostKey"),
        "privateKey": config.require_secret("privateKey"),
    }
    nginx = HardenedService(
        "nginx",
        connection=connection,
        unit="nginx.service",
        window={
            "durationSeconds": config.get_int("profileSeconds") or 10,
            "workload": "for i in $(seq 10); do curl -fsS -o /dev/null http://127.0.0.1/; done",
        },
        profile=config.get("profile"),
        mode=config.get("mode") or "conservative",
        # A secret (a health check may carry a credential): it stays one in the state.
        health_command=pulumi.Output.secret("curl -fsS -o /dev/null -A hush-py-health http://127.0.0.1/"),
    )
    # The `import` resource option: the language-native import, which needs no language host
    # (`pulumi import` on the command line does).
    adopted = {}
    for d in config.get_object("adopt") or []:
        drop_in = HardeningDropIn(
            d["name"],
            connection=connection,
            unit=d["unit"],
            content=d["content"],
            opts=pulumi.ResourceOptions(import_=d["id"]),
        )
        adopted[d["name"]] = drop_in.existing_hardening
    pulumi.export("adopted", adopted)
    pulumi.export("dropInPath", nginx.drop_in_path)
    pulumi.export("dropInText", nginx.drop_in_text)
    pulumi.export("exposureBefore", nginx.exposure_before)
    pulumi.export("exposureAfter", nginx.exposure_after)
    pulumi.export("warnings", nginx.warnings)
