#!/usr/bin/env python3
"""ACAP manifest tool: the top-level manifest.json is the one source of the app's name,
version, run mode, parameters, settings page, reverse proxy and D-Bus resources. It is
written in the schema 2.x form; this tool derives the two package forms from it, checks
either against the rules of the ACAP manifest schema field descriptions, and writes the
package.conf / param.conf that acap-build would generate for older firmware.

  schema 2 (2.0.0): AXIS OS 12.10 and later, the only form AXIS OS 13 installs. Carries
      vendorId (VENDOR_ID) and compatibleOsVersions.
  schema 1: AXIS OS 11.11 to 12.9. Declares the lowest 1.x version that carries every field
      the manifest uses (and allows signing), which must be one AXIS OS 11.11 installs.

  manifest.py emit SOURCE --schema 1|2 --arch ARCH --out DIR [--vendor-id ID] [--release]
  manifest.py check MANIFEST --schema 1|2 [--arch ARCH]        exit 1 with every problem listed
  manifest.py os-range SOURCE --schema 1|2                     e.g. 11.11-12.9
  manifest.py get SOURCE KEY.PATH                              print one field
"""
import argparse
import copy
import json
import re
import sys

SCHEMA2_VERSION = "2.0.0"  # the first 2.x: the lowest that AXIS OS 12.10 can know
# Schema 1.x version -> the AXIS OS that first installs it (manifest schemas index).
SCHEMA1_OS = {"1.3": "10.9", "1.3.1": "11.0", "1.4.0": "11.7", "1.5.0": "11.8", "1.6.0": "11.9",
              "1.7.0": "11.10", "1.7.1": "12.0", "1.7.2": "12.1", "1.7.3": "12.2"}
SIGNING_SINCE = "1.3"  # a package can be signed from schema 1.3
OLDEST_OS = "11.11"    # the oldest AXIS OS the schema-1 package serves (LTS)
V2_SINCE_OS = "12.10"  # compatibleOsVersions (schema 2) exists from this AXIS OS on
# Every schema 1.x field this tool knows, with the first version whose field descriptions
# carry it (1.3.1 for what 1.3.1 already has; nothing older was read).
FIELDS_V1 = {
    "schemaVersion": "1.3", "$schema": "1.6.0",
    "resources.dbus.requiredMethods": "1.3.1", "resources.dbus.conditionalMethods": "1.3.1",
    "resources.linux.user.groups": "1.3.1",
    "acapPackageConf.setup.appName": "1.3", "acapPackageConf.setup.appId": "1.3.1",
    "acapPackageConf.setup.architecture": "1.3.1",
    "acapPackageConf.setup.embeddedSdkVersion": "1.3.1",
    "acapPackageConf.setup.friendlyName": "1.3.1", "acapPackageConf.setup.user": "1.3.1",
    "acapPackageConf.setup.runMode": "1.3", "acapPackageConf.setup.runOptions": "1.3.1",
    "acapPackageConf.setup.vendor": "1.3", "acapPackageConf.setup.vendorUrl": "1.3.1",
    "acapPackageConf.setup.version": "1.3",
    "acapPackageConf.installation.postInstallScript": "1.3.1",
    "acapPackageConf.uninstallation.preUninstallScript": "1.3.1",
    "acapPackageConf.configuration.settingPage": "1.3.1",
    "acapPackageConf.configuration.paramConfig": "1.3.1",
    "acapPackageConf.configuration.httpConfig": "1.3.1",
    "acapPackageConf.configuration.reverseProxy": "1.5.0",
    "acapPackageConf.configuration.containers": "1.7.0",
    "acapPackageConf.copyProtection.method": "1.3.1",
}
SINCE_V1_DETAIL = {  # forms inside a field that came later than the field
    "httpConfig web content (type directory)": "1.5.0",
    "D-Bus method wildcard (.*)": "1.5.0",
}
V2_ONLY = ("acapPackageConf.setup.vendorId", "acapPackageConf.setup.compatibleOsVersions")
V2_REMOVED = ("acapPackageConf.setup.embeddedSdkVersion", "acapPackageConf.configuration.containers")
PLACEHOLDER_VENDOR_IDS = ("1234567890",)  # the Axis examples' value: cannot be signed

ARCHES = ("aarch64", "armv7hf")
RUN_MODES = ("respawn", "once", "never")
ACCESS = ("admin", "operator", "viewer")
PROXY_ACCESS = ACCESS + ("anonymous",)
PROXY_API_TYPES = ("http", "ws", "fcgi")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
OS_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")
# paramConfig type strings: control words, then enum/bool/string/int/password (axparameter).
INT_OPT = r"(maxlen=\d+|min=-?\d+|max=-?\d+|range=\d+(-\d+)?(,\d+(-\d+)?)*)"
PARAM_TYPE = re.compile(r"^((hidden|nosync|readonly):)*(string(:maxlen=\d+)?|password(:maxlen=\d+)?"
                        r"|int(:" + INT_OPT + r"(;" + INT_OPT + r")*)?|bool:[^,]*,[^,]+|enum:[^,|]+(\|[^,]*)?(,[^,|]+(\|[^,]*)?)*)$")
# Schema 2.x limits the D-Bus methods an app may ask for, and the groups.
V2_DBUS_ALLOWED = (
    re.compile(r"^com\.axis\.Graphics2\..*$"),
    re.compile(r"^com\.axis\.HTTPConf1\.VAPIXServiceAccounts1\.GetCredentials$"),
    re.compile(r"^com\.axis\.Overlay2\..*$"),
)
V2_GROUPS = {"admin", "audiod", "gpu", "hidraw", "operator", "pipewire", "ptzadm", "sdk",
             "storage", "video", "viewer"}


def vkey(v):
    return tuple(int(x) for x in v.split("."))


def get(d, path, default=None):
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def leaves(m, prefix=""):
    """Dotted paths of m down to the fields FIELDS_V1 names (objects inside are values)."""
    out = []
    for k, v in m.items():
        p = f"{prefix}{k}"
        if isinstance(v, dict) and p not in FIELDS_V1:
            out += leaves(v, p + ".")
        else:
            out.append(p)
    return out


def v1_needs(m):
    """{thing: lowest 1.x version} for every field and form m uses (unknown fields: None)."""
    need = {"signing": SIGNING_SINCE}
    for p in leaves(m):
        need[p] = FIELDS_V1.get(p)
    for h in get(m, "acapPackageConf.configuration.httpConfig", []) or []:
        if isinstance(h, dict) and h.get("type") == "directory":
            need["httpConfig web content (type directory)"] = SINCE_V1_DETAIL["httpConfig web content (type directory)"]
    for kind in ("requiredMethods", "conditionalMethods"):
        if any(str(x).endswith(".*") for x in get(m, f"resources.dbus.{kind}", []) or []):
            need["D-Bus method wildcard (.*)"] = SINCE_V1_DETAIL["D-Bus method wildcard (.*)"]
    return need


def lowest_v1(m):
    floor = max((v for v in v1_needs(m).values() if v), key=vkey)
    return min((v for v in SCHEMA1_OS if vkey(v) >= vkey(floor)), key=vkey)


def derive(src, schema, arch, vendor_id=None):
    """The manifest for one schema and architecture, from the 2.x source."""
    m = copy.deepcopy(src)
    setup = m.setdefault("acapPackageConf", {}).setdefault("setup", {})
    setup["architecture"] = arch
    if schema == 1:
        for f in V2_ONLY:
            setup.pop(f.rsplit(".", 1)[1], None)
        setup["embeddedSdkVersion"] = "3.0"
        m["schemaVersion"] = lowest_v1(m)
    else:
        if vendor_id:
            setup["vendorId"] = vendor_id
        for f in V2_REMOVED:
            parent, leaf = f.rsplit(".", 1)
            (get(m, parent) or {}).pop(leaf, None)
        m["schemaVersion"] = SCHEMA2_VERSION
    return m


def check_reverse_proxy(m, p):
    for i, r in enumerate(get(m, "acapPackageConf.configuration.reverseProxy", []) or []):
        where = f"reverseProxy[{i}]"
        if not isinstance(r, dict):
            p.append(f"{where} must be an object")
            continue
        unix = "apiType" in r  # only the Unix-socket form has apiType
        keys = {"apiPath", "target", "access"} | ({"apiType"} if unix else set())
        for k in sorted(keys - set(r)):
            p.append(f"{where} lacks {k}")
        for k in sorted(set(r) - keys):
            p.append(f"{where} has {k}, which its form does not have")
        if r.get("access") not in PROXY_ACCESS:
            p.append(f"{where}.access must be one of {PROXY_ACCESS}")
        target = str(r.get("target", ""))
        if unix:
            if r["apiType"] not in PROXY_API_TYPES:
                p.append(f"{where}.apiType must be one of {PROXY_API_TYPES}")
            if not target.startswith("/"):
                p.append(f"{where}.target must be the path of a Unix socket (the apiType form)")
        elif not re.match(r"^(http|ws)://[^/\s]+", target):
            p.append(f"{where}.target must be an http:// or ws:// URI (the TCP form)")


def check(m, schema, arch=None):
    """Every problem of manifest m against schema 1 (1.x) or 2 (2.x); [] when valid."""
    p = []
    sv = m.get("schemaVersion")
    if not isinstance(sv, str) or not re.match(rf"^{schema}\.\d+(\.\d+)?$", sv):
        return [f"schemaVersion is {sv!r}, want {schema}.x"]
    setup = get(m, "acapPackageConf.setup")
    if not isinstance(setup, dict):
        return p + ["acapPackageConf.setup is missing"]
    required = ["appName", "vendor", "runMode", "version"]
    if schema == 2:
        required += ["vendorId", "compatibleOsVersions", "architecture"]
    for f in required:
        if f not in setup or setup[f] in ("", None, []):
            p.append(f"acapPackageConf.setup.{f} is required by schema {schema}.x")
    if "appName" in setup and not re.match(r"^[^/\s]+$", str(setup["appName"])):
        p.append(f"appName {setup['appName']!r} must be a file name (it names the executable)")
    if "runMode" in setup and setup["runMode"] not in RUN_MODES:
        p.append(f"runMode {setup['runMode']!r} is not one of {RUN_MODES}")
    if "version" in setup and not SEMVER.match(str(setup["version"])):
        p.append(f"version {setup['version']!r} is not semver")
    allowed_arch = ARCHES + (("all",) if schema == 1 else ())
    if "architecture" in setup and setup["architecture"] not in allowed_arch:
        p.append(f"architecture {setup['architecture']!r} is not one of {allowed_arch}")
    if arch and setup.get("architecture") != arch:
        p.append(f"architecture is {setup.get('architecture')!r}, the package is for {arch}")
    fn = setup.get("friendlyName")
    if fn is not None and (not isinstance(fn, str) or "\n" in fn or len(fn) > 256):
        p.append("friendlyName must be one line of at most 256 characters")
    if schema == 1:
        if sv not in SCHEMA1_OS:
            p.append(f"schemaVersion {sv} is not a documented 1.x version")
        else:
            if vkey(SCHEMA1_OS[sv]) > vkey(OLDEST_OS):
                p.append(f"schemaVersion {sv} needs AXIS OS {SCHEMA1_OS[sv]}; AXIS OS {OLDEST_OS} must install it")
            for what, since in sorted(v1_needs(m).items()):
                if since is None:
                    p.append(f"{what} is not a schema 1.x field")
                elif vkey(since) > vkey(sv):
                    p.append(f"{what} needs schema {since}, the manifest declares {sv}")
            if not any("not a schema" in x or "needs schema" in x for x in p) and sv != lowest_v1(m):
                p.append(f"schemaVersion {sv} is not the lowest that carries every field ({lowest_v1(m)})")
        if setup.get("embeddedSdkVersion") != "3.0":
            p.append("embeddedSdkVersion must be \"3.0\" in schema 1.x")
        for f in V2_ONLY:
            if get(m, f) is not None:
                p.append(f"{f.rsplit('.', 1)[1]} does not exist in schema 1.x")
    else:
        for f in V2_REMOVED:
            if get(m, f) is not None:
                p.append(f"{f.rsplit('.', 1)[1]} was removed in schema 2.x")
        if "vendorId" in setup and not re.match(r"^[0-9A-Fa-f]{10}$", str(setup["vendorId"])):
            p.append("vendorId must be 10 hexadecimal digits")
        cov = setup.get("compatibleOsVersions")
        if cov is not None:
            if not isinstance(cov, list) or not cov:
                p.append("compatibleOsVersions must be a non-empty array of {min, max}")
                cov = []
            for i, r in enumerate(cov):
                if not isinstance(r, dict) or not r or set(r) - {"min", "max"} or \
                        not all(isinstance(v, str) and OS_VERSION.match(v) for v in r.values()):
                    p.append(f"compatibleOsVersions[{i}] must be {{min, max}} AXIS OS versions")
                    continue
                if "min" in r and "max" in r and vkey(r["min"]) > vkey(r["max"]):
                    p.append(f"compatibleOsVersions[{i}]: min {r['min']} is above max {r['max']}")
                if vkey(r.get("min", "0")) < vkey(V2_SINCE_OS):
                    p.append(f"compatibleOsVersions[{i}] must start at {V2_SINCE_OS} or later"
                             " (no older AXIS OS reads it)")
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
            if not isinstance(pc, dict) or not isinstance(pc.get(f), str):
                p.append(f"paramConfig[{i}] lacks {f} (a string)")
        if isinstance(pc, dict) and isinstance(pc.get("type"), str) and not PARAM_TYPE.match(pc["type"]):
            p.append(f"paramConfig[{i}].type {pc['type']!r} is not a documented parameter type")
    for i, h in enumerate(get(m, "acapPackageConf.configuration.httpConfig", []) or []):
        if h.get("type") in ("transferCgi", "fastCgi"):
            if not h.get("name"):
                p.append(f"httpConfig[{i}] ({h['type']}) lacks name")
        elif h.get("type") != "directory":
            p.append(f"httpConfig[{i}].type must be transferCgi, fastCgi or directory")
        if h.get("access") not in ACCESS:
            p.append(f"httpConfig[{i}].access must be one of {ACCESS}")
    check_reverse_proxy(m, p)
    cp = get(m, "acapPackageConf.copyProtection")
    if cp is not None and cp.get("method") not in ("none", "axis", "custom"):
        p.append("copyProtection.method must be none, axis or custom")
    return p


def os_range(src, schema):
    """The AXIS OS range a package of this schema serves, as "FIRST-LAST"."""
    cov = get(src, "acapPackageConf.setup.compatibleOsVersions", [{}])
    first2, last2 = cov[0].get("min", V2_SINCE_OS), cov[-1].get("max", "")
    if schema == 2:
        return f"{first2}-{last2}"
    major, minor = (int(x) for x in first2.split(".")[:2])
    if minor == 0:
        sys.exit("manifest.py: cannot name the AXIS OS before " + first2)
    return f"{OLDEST_OS}-{major}.{minor - 1}"


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


def emit(a):
    src = load(a.source)
    vid = a.vendor_id or get(src, "acapPackageConf.setup.vendorId")
    problems = [f"source: {x}" for x in check(derive(src, 2, a.arch, vid), 2, a.arch)]
    if a.release and (not vid or vid in PLACEHOLDER_VENDOR_IDS):
        problems.append(f"a release package needs the vendor id Axis assigned (VENDOR_ID=...); "
                        f"{vid!r} is a placeholder that cannot be signed")
    m = derive(src, a.schema, a.arch, vid)
    problems += check(m, a.schema, a.arch)
    if not problems:
        with open(f"{a.out}/manifest.json", "w") as f:
            json.dump(m, f, indent=4)
            f.write("\n")
        with open(f"{a.out}/package.conf", "w") as f:
            f.write(package_conf(m))
        with open(f"{a.out}/param.conf", "w") as f:
            f.write(param_conf(m))
    return problems


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("emit")
    e.add_argument("source")
    e.add_argument("--schema", type=int, choices=(1, 2), required=True)
    e.add_argument("--arch", choices=ARCHES, required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--vendor-id", default="")
    e.add_argument("--release", action="store_true")
    c = sub.add_parser("check")
    c.add_argument("manifest")
    c.add_argument("--schema", type=int, choices=(1, 2), required=True)
    c.add_argument("--arch", choices=ARCHES)
    r = sub.add_parser("os-range")
    r.add_argument("source")
    r.add_argument("--schema", type=int, choices=(1, 2), required=True)
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
    if a.cmd == "os-range":
        print(os_range(load(a.source), a.schema))
        return
    problems = check(load(a.manifest), a.schema, a.arch) if a.cmd == "check" else emit(a)
    for x in problems:
        print(f"manifest.py: {a.manifest if a.cmd == 'check' else a.source}: {x}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
