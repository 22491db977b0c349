"""The hush provider plugin's resources for Python programs (what a generated SDK holds).

The plugin (pulumi-resource-hush, from the pulumi-hush npm package) serves them; the engine finds
it on PATH or through Pulumi.yaml's plugins.providers. Property names are the schema's
(camelCase); the Python arguments are snake_case.
"""

from typing import Any, Mapping, Optional, Sequence

import pulumi

# What the connection may hold: host, port, user, password, privateKey, privateKeyPassword,
# agentSocketPath, dialErrorLimit, perDialTimeout, hostKey, insecureAcceptAnyHostKey, proxy
# (the fields of @pulumi/command's ConnectionArgs, plus host-key pinning).
Connection = Mapping[str, Any]

# Python attribute ↔ schema property, for the names that differ (as a generated SDK maps them).
_PYTHON_NAMES = {
    "dropInPath": "drop_in_path",
    "dropInText": "drop_in_text",
    "exposureBefore": "exposure_before",
    "exposureAfter": "exposure_after",
    "profileStats": "profile_stats",
    "reprofileReasons": "reprofile_reasons",
    "existingHardening": "existing_hardening",
    "unitDigest": "unit_digest",
    "profileJson": "profile_json",
    "healthCommand": "health_command",
    "settleSeconds": "settle_seconds",
    "sessionUnit": "session_unit",
}
_SCHEMA_NAMES = {python: schema for schema, python in _PYTHON_NAMES.items()}


class _Names:
    """Properties go to the engine under their schema names and come back as Python attributes."""

    def translate_output_property(self, prop: str) -> str:
        return _PYTHON_NAMES.get(prop, prop)

    def translate_input_property(self, prop: str) -> str:
        return _SCHEMA_NAMES.get(prop, prop)


def _unset(**values: Any) -> dict:
    return {k: v for k, v in values.items() if v is not None}


class HardenedService(_Names, pulumi.ComponentResource):
    """Profile → resolve → drop-in for one unit on one host (hush:index:HardenedService).

    Give ``window`` to profile the unit, or ``profile`` (a profile's JSON, e.g. another stack's
    ``profileJson`` or ``hush profile -o``) to harden from a profile taken elsewhere."""

    drop_in_path: pulumi.Output[str]
    drop_in_text: pulumi.Output[str]
    chosen: pulumi.Output[list]
    rejected: pulumi.Output[list]
    exposure_before: pulumi.Output[Optional[float]]
    exposure_after: pulumi.Output[Optional[float]]
    profile_stats: pulumi.Output[dict]
    phase: pulumi.Output[str]
    recording: pulumi.Output[Optional[dict]]
    reprofile_reasons: pulumi.Output[list]
    profile_json: pulumi.Output[str]
    warnings: pulumi.Output[list]

    def __init__(
        self,
        resource_name: str,
        *,
        connection: pulumi.Input[Connection],
        unit: pulumi.Input[str],
        window: Optional[pulumi.Input[Mapping[str, Any]]] = None,
        profile: Optional[pulumi.Input[str]] = None,
        tracing: Optional[pulumi.Input[str]] = None,
        mode: Optional[pulumi.Input[str]] = None,
        overrides: Optional[pulumi.Input[Mapping[str, Any]]] = None,
        triggers: Optional[pulumi.Input[Sequence[Any]]] = None,
        health_command: Optional[pulumi.Input[str]] = None,
        settle_seconds: Optional[pulumi.Input[float]] = None,
        session_unit: Optional[pulumi.Input[str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        props = {
            "connection": pulumi.Output.secret(connection),
            "unit": unit,
            **_unset(
                session_unit=session_unit,
                window=window,
                profile=profile,
                tracing=tracing,
                mode=mode,
                overrides=overrides,
                triggers=triggers,
                health_command=health_command,
                settle_seconds=settle_seconds,
            ),
            **{name: None for name in _COMPONENT_OUTPUTS},
        }
        super().__init__("hush:index:HardenedService", resource_name, props, opts, remote=True)


_COMPONENT_OUTPUTS = [
    "drop_in_path",
    "drop_in_text",
    "chosen",
    "rejected",
    "exposure_before",
    "exposure_after",
    "profile_stats",
    "phase",
    "recording",
    "reprofile_reasons",
    "profile_json",
    "warnings",
]

_DROPIN_OUTPUTS = [
    "content",
    "path",
    "unit_digest",
    "drift",
    "exposure_before",
    "exposure_after",
    "existing_hardening",
    "warnings",
]


class HardeningDropIn(_Names, pulumi.CustomResource):
    """hush's drop-in of one unit on one host (hush:index:HardeningDropIn); importable by ID
    ``[user@]host[:port]/unit#hostKey``."""

    content: pulumi.Output[Optional[str]]
    path: pulumi.Output[str]
    drift: pulumi.Output[Optional[str]]
    existing_hardening: pulumi.Output[list]
    warnings: pulumi.Output[list]

    def __init__(
        self,
        resource_name: str,
        *,
        connection: pulumi.Input[Connection],
        unit: pulumi.Input[str],
        content: Optional[pulumi.Input[str]] = None,
        health_command: Optional[pulumi.Input[str]] = None,
        settle_seconds: Optional[pulumi.Input[float]] = None,
        session_unit: Optional[pulumi.Input[str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        props = {
            **{name: None for name in _DROPIN_OUTPUTS},
            "connection": pulumi.Output.secret(connection),
            "unit": unit,
            "content": content,
            **_unset(health_command=health_command, settle_seconds=settle_seconds, session_unit=session_unit),
        }
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["connection"]))
        super().__init__("hush:index:HardeningDropIn", resource_name, props, opts)
