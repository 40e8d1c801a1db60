#!/usr/bin/env python3
"""ACAP manifest tool: the top-level manifest.json is the one source of the app's name,
version, run mode, parameters, settings page and D-Bus resources. It is written in the
schema 2.x form (AXIS OS 13); this tool derives the schema 1.7.3 form (AXIS OS 12) from it,
checks either form against the required fields and restrictions of its schema (the ACAP
manifest schema field descriptions, 1.7.3 and 2.x), and writes the package.conf /
param.conf that acap-build would generate for older firmware.

  manifest.py emit SOURCE --schema 1|2 --arch ARCH --out DIR   manifest.json, package.conf, param.conf
  manifest.py check MANIFEST --schema 1|2 [--arch ARCH]        exit 1 with every problem listed
  manifest.py get SOURCE KEY.PATH                              print one field (e.g. acapPackageConf.setup.version)
"""
import argparse
import copy
import json
import re
import sys

SCHEMA_VERSION = {1: "1.7.3", 2: "2.2.0"}
ARCHES = ("aarch64", "armv7hf")
RUN_MODES = ("respawn", "once", "never")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
APP_NAME = re.compile(r"^[A-Za-z0-9_]{1,26}$")
# Schema 2.x limits the D-Bus methods an app may ask for [V2].
V2_DBUS_ALLOWED = (
    re.compile(r"^com\.axis\.Graphics2\..*$"),
    re.compile(r"^com\.axis\.HTTPConf1\.VAPIXServiceAccounts1\.GetCredentials$"),
    re.compile(r"^com\.axis\.Overlay2\..*$"),
)
V2_GROUPS = {"admin", "audiod", "gpu", "hidraw", "operator", "pipewire", "ptzadm", "sdk",
             "storage", "video", "viewer"}


def get(d, path, default=None):
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def derive(src, schema, arch):
    """The manifest for one schema and architecture, from the 2.x source."""
    m = copy.deepcopy(src)
    setup = m.setdefault("acapPackageConf", {}).setdefault("setup", {})
    setup["architecture"] = arch
    m["schemaVersion"] = SCHEMA_VERSION[schema]
    if schema == 1:
        # 1.x has neither vendorId nor compatibleOsVersions; it wants embeddedSdkVersion "3.0".
        setup.pop("vendorId", None)
        setup.pop("compatibleOsVersions", None)
        setup["embeddedSdkVersion"] = "3.0"
    else:
        setup.pop("embeddedSdkVersion", None)
        m["acapPackageConf"].get("configuration", {}).pop("containers", None)
    return m


def check(m, schema, arch=None):
    """Every problem of manifest m against schema 1 (1.7.x) or 2 (2.x); [] when valid."""
    p = []
    sv = m.get("schemaVersion")
    if not isinstance(sv, str) or not sv.startswith(f"{schema}."):
        p.append(f"schemaVersion is {sv!r}, want {schema}.x")
    setup = get(m, "acapPackageConf.setup")
    if not isinstance(setup, dict):
        return p + ["acapPackageConf.setup is missing"]
    required = ["appName", "vendor", "runMode", "version"]
    if schema == 2:
        required += ["vendorId", "compatibleOsVersions", "architecture"]
    for f in required:
        if f not in setup or setup[f] in ("", None, []):
            p.append(f"acapPackageConf.setup.{f} is required by schema {schema}.x")
    if "appName" in setup and not APP_NAME.match(str(setup["appName"])):
        p.append(f"appName {setup['appName']!r} must be 1..26 of [A-Za-z0-9_]")
    if "runMode" in setup and setup["runMode"] not in RUN_MODES:
        p.append(f"runMode {setup['runMode']!r} is not one of {RUN_MODES}")
    if "version" in setup and not SEMVER.match(str(setup["version"])):
        p.append(f"version {setup['version']!r} is not semver")
    if "architecture" in setup and setup["architecture"] not in ARCHES + (("all",) if schema == 1 else ()):
        p.append(f"architecture {setup['architecture']!r} is not one of {ARCHES}")
    if arch and setup.get("architecture") != arch:
        p.append(f"architecture is {setup.get('architecture')!r}, the package is for {arch}")
    fn = setup.get("friendlyName")
    if fn is not None and (not isinstance(fn, str) or "\n" in fn or len(fn) > 256):
        p.append("friendlyName must be one line of at most 256 characters")
    if schema == 1:
        if setup.get("embeddedSdkVersion") != "3.0":
            p.append("embeddedSdkVersion must be \"3.0\" in schema 1.x")
        for f in ("vendorId", "compatibleOsVersions"):
            if f in setup:
                p.append(f"{f} does not exist in schema 1.x")
    else:
        if "embeddedSdkVersion" in setup:
            p.append("embeddedSdkVersion was removed in schema 2.x")
        if "containers" in (get(m, "acapPackageConf.configuration") or {}):
            p.append("configuration.containers was removed in schema 2.x")
        if "vendorId" in setup and not re.match(r"^[0-9A-Fa-f]{10}$", str(setup["vendorId"])):
            p.append("vendorId must be 10 hexadecimal digits")
        cov = setup.get("compatibleOsVersions")
        if cov is not None:
            if not isinstance(cov, list) or not cov:
                p.append("compatibleOsVersions must be a non-empty array of {min, max}")
            else:
                for i, r in enumerate(cov):
                    if not isinstance(r, dict) or not r or set(r) - {"min", "max"} or \
                            not all(isinstance(v, str) and v for v in r.values()):
                        p.append(f"compatibleOsVersions[{i}] must be {{min, max}} version strings")
        user = setup.get("user")
        if user is not None and user.get("username") != "sdk":
            p.append("a static user can only be 'sdk' in schema 2.x")
        for g in get(m, "resources.linux.user.groups", []) or []:
            if g not in V2_GROUPS:
                p.append(f"group {g!r} is not allowed in schema 2.x")
        for kind in ("requiredMethods", "conditionalMethods"):
            for meth in get(m, f"resources.dbus.{kind}", []) or []:
                if not any(r.match(meth) for r in V2_DBUS_ALLOWED):
                    p.append(f"D-Bus method {meth} is not allowed in schema 2.x")
    if setup.get("user") is not None and get(m, "resources.dbus"):
        p.append("D-Bus resources need the dynamic user: leave out setup.user")
    for i, pc in enumerate(get(m, "acapPackageConf.configuration.paramConfig", []) or []):
        for f in ("name", "default", "type"):
            if not isinstance(pc, dict) or f not in pc:
                p.append(f"paramConfig[{i}] lacks {f}")
    cp = get(m, "acapPackageConf.copyProtection")
    if cp is not None and cp.get("method") not in ("none", "axis", "custom"):
        p.append("copyProtection.method must be none, axis or custom")
    return p


def package_conf(m):
    """package.conf as acap-build writes it for firmware that predates manifests."""
    setup = get(m, "acapPackageConf.setup")
    major, minor, micro = SEMVER.match(setup["version"]).groups()[:3]
    vals = [
        ("PACKAGENAME", setup.get("friendlyName", setup["appName"])),
        ("APPTYPE", setup["architecture"]),
        ("APPNAME", setup["appName"]),
        ("APPID", setup.get("appId", "")),
        ("LICENSENAME", "Available"),
        ("LICENSEPAGE", get(m, "acapPackageConf.copyProtection.method", "none")),
        ("VENDOR", setup["vendor"]),
        ("REQEMBDEVVERSION", setup.get("embeddedSdkVersion", "3.0")),
        ("APPMAJORVERSION", major),
        ("APPMINORVERSION", minor),
        ("APPMICROVERSION", micro),
        ("APPGRP", get(setup, "user.group", "sdk")),
        ("APPUSR", get(setup, "user.username", "sdk")),
        ("APPOPTS", setup.get("runOptions", "")),
        ("OTHERFILES", ""),
        ("SETTINGSPAGEFILE", get(m, "acapPackageConf.configuration.settingPage", "")),
        ("SETTINGSPAGETEXT", ""),
        ("VENDORHOMEPAGELINK", ""),
        ("PREUPGRADESCRIPT", ""),
        ("POSTINSTALLSCRIPT", get(m, "acapPackageConf.installation.postInstallScript", "")),
        ("STARTMODE", setup["runMode"]),
        ("HTTPCGIPATHS", "cgi.conf" if get(m, "acapPackageConf.configuration.httpConfig") else ""),
    ]
    return "".join(f'{k}="{v}"\n' for k, v in vals)


def param_conf(m):
    return "".join(f'{pc["name"]}="{pc["default"]}" type="{pc["type"]}"\n'
                   for pc in get(m, "acapPackageConf.configuration.paramConfig", []) or [])


def load(path):
    with open(path) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("emit")
    e.add_argument("source")
    e.add_argument("--schema", type=int, choices=(1, 2), required=True)
    e.add_argument("--arch", choices=ARCHES, required=True)
    e.add_argument("--out", required=True)
    c = sub.add_parser("check")
    c.add_argument("manifest")
    c.add_argument("--schema", type=int, choices=(1, 2), required=True)
    c.add_argument("--arch", choices=ARCHES)
    g = sub.add_parser("get")
    g.add_argument("source")
    g.add_argument("key")
    a = ap.parse_args()

    if a.cmd == "get":
        v = get(load(a.source), a.key)
        if v is None:
            sys.exit(f"manifest.py: {a.source} has no {a.key}")
        print(v if isinstance(v, str) else json.dumps(v))
        return
    if a.cmd == "check":
        m = load(a.manifest)
        problems = check(m, a.schema, a.arch)
    else:
        src = load(a.source)
        problems = [f"source: {x}" for x in check(derive(src, 2, a.arch), 2, a.arch)]
        m = derive(src, a.schema, a.arch)
        problems += check(m, a.schema, a.arch)
        if not problems:
            with open(f"{a.out}/manifest.json", "w") as f:
                json.dump(m, f, indent=4)
                f.write("\n")
            with open(f"{a.out}/package.conf", "w") as f:
                f.write(package_conf(m))
            with open(f"{a.out}/param.conf", "w") as f:
                f.write(param_conf(m))
    for x in problems:
        print(f"manifest.py: {a.manifest if a.cmd == 'check' else a.source}: {x}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
