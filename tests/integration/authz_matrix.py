#!/usr/bin/env python3
"""Runs the authorization matrix of authz_matrix.txt against a running camcloud.

  authz_matrix.py setup URL ADMIN_TOKEN STATE IMAGE_PATH   accounts, orgs, folders, tokens
  authz_matrix.py objects STATE                             tasks, jobs, licenses (devices enrolled)
  authz_matrix.py run STATE TABLE                           one PASS/FAIL line per cell
  authz_matrix.py lists STATE                               what each list shows whom

The licensing rows need the vendor tool and a key pair (MATRIX_CAMVENDOR, MATRIX_VENDOR_KEY,
MATRIX_VENDOR_PUB) and the catalog rows an .eap package (MATRIX_EAP) in the environment.
The state between the steps is a JSON file. Principals: owner, admin, operator and viewer
of org A (operator and viewer granted its folder Lobby), a personal API token of the admin
capped to viewer, and no credentials; org B belongs to someone else."""
import base64, hashlib, itertools, json, os, re, subprocess, sys, urllib.error, urllib.request

PRINCIPALS = ["owner", "admin", "operator", "viewer", "token", "none"]
TARGETS = ["in", "out", "other"]
PW = "matrix password 1"
counter = itertools.count()


def call(st, who, method, path, body=None, headers=None):
    """(status, parsed JSON or None) of one request as principal who."""
    req = urllib.request.Request(st["url"] + path, method=method)
    if body is not None:
        if isinstance(body, bytes):
            req.data = body
        else:
            req.data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    if who == "boot":
        req.add_header("Authorization", "Bearer " + st["admin_token"])
    elif who == "token":
        req.add_header("Authorization", "Bearer " + st["api_token"])
    elif who != "none":
        s = st["sessions"][who]
        req.add_header("Cookie", "camcloud_session=" + s["cookie"])
        if method != "GET":
            req.add_header("X-CSRF-Token", s["csrf"])
    try:
        with urllib.request.urlopen(req) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, None


def must(st, who, method, path, body=None):
    status, j = call(st, who, method, path, body)
    if status != 200:
        sys.exit("setup: %s %s as %s: %s %s" % (method, path, who, status, j))
    return j


def signup(st, email, org_name=None, who="none"):
    body = {"email": email, "password": PW}
    if org_name:
        body["org_name"] = org_name
    return must(st, who, "POST", "/admin/v1/signup", body)


def signin(st, name, email):
    req = urllib.request.Request(st["url"] + "/admin/v1/signin", method="POST",
                                 data=json.dumps({"email": email, "password": PW}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        cookie = r.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
        st["sessions"][name] = {"cookie": cookie, "csrf": json.loads(r.read())["csrf_token"]}


def user_id(st, who):
    return must(st, who, "GET", "/admin/v1/me")["user"]["id"]


def setup(url, admin_token, path, image_path):
    st = {"url": url, "admin_token": admin_token, "sessions": {}, "t": {}, "image_path": image_path}
    org_a = signup(st, "owner@a.example", "Org A", who="boot")["org"]["id"]
    org_b = signup(st, "owner@b.example", "Org B")["org"]["id"]
    signin(st, "owner", "owner@a.example")
    signin(st, "owner_b", "owner@b.example")
    for role in ("admin", "operator", "viewer", "spare"):
        signup(st, role + "@a.example")
        uid = must(st, "owner", "POST", "/admin/v1/orgs/%s/members" % org_a,
                   {"email": role + "@a.example"})["user_id"]
        must(st, "owner", "POST", "/admin/v1/orgs/%s/members/%s/role" % (org_a, uid),
             {"role": "viewer" if role == "spare" else role})
        signin(st, role, role + "@a.example")
        st[role + "_id"] = uid
    signup(st, "spare@b.example")
    spare_b = must(st, "owner_b", "POST", "/admin/v1/orgs/%s/members" % org_b,
                   {"email": "spare@b.example"})["user_id"]
    folders = {
        "in": ("owner", org_a, "Lobby"),
        "out": ("owner", org_a, "Site"),
        "other": ("owner_b", org_b, "Elsewhere"),
    }
    for t, (who, org, name) in folders.items():
        f = must(st, who, "POST", "/admin/v1/folders", {"org_id": org, "name": name})["id"]
        tok = must(st, who, "POST", "/admin/v1/enrollment-tokens",
                   {"folder_id": f, "max_uses": 5})["token"]
        extra = must(st, who, "POST", "/admin/v1/enrollment-tokens", {"folder_id": f})
        raw = extra["token"][5:]
        secret = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["secret"]
        st["t"][t] = {"owner": who, "ORG": org, "FOLDER": f, "TOKEN": extra["id"],
                      "SECRET": secret, "enroll": tok,
                      "MEMBER": st["spare_id"] if t != "other" else spare_b}
    for role in ("operator", "viewer"):
        must(st, "owner", "POST", "/admin/v1/orgs/%s/members/%s/grants" % (org_a, st[role + "_id"]),
             {"folder_ids": [st["t"]["in"]["FOLDER"]]})
    st["api_token"] = must(st, "admin", "POST", "/admin/v1/me/api-tokens",
                           {"org_id": org_a, "role": "viewer"})["token"]
    st["own_token"] = must(st, "owner", "POST", "/admin/v1/me/api-tokens", {"org_id": org_a})["id"]
    st["image"] = must(st, "owner", "POST", "/admin/v1/images",
                       {"model": "P3265-LVE", "version": "12.0.1", "path": image_path})["id"]
    st["package"] = must(st, "owner", "POST", "/admin/v1/apps", {"path": os.environ["MATRIX_EAP"]})["id"]
    st["eap_path"] = os.environ["MATRIX_EAP"]
    # a product per organization (organization-wide: in and out share org A's), its
    # subscription started and its wallet holding extension licenses
    products = {}
    for t in TARGETS:
        o = st["t"][t]
        if o["ORG"] not in products:
            app_id = "com.example.matrix%d" % len(products)
            pid = new_product(st, o["owner"], o["ORG"], app_id)
            must(st, o["owner"], "POST", "/admin/v1/products/%s/subscription" % pid, {})
            must(st, o["owner"], "POST", "/admin/v1/license-keys/redeem",
                 {"org_id": o["ORG"], "key": mint(app_id, extension=1000)})
            products[o["ORG"]] = (pid, app_id)
        o["PRODUCT"], o["APPID"] = products[o["ORG"]]
        # an upload of the target's owner, all sent, and one to cancel
        eap = open(os.environ["MATRIX_EAP"], "rb").read()
        o["UPLOAD"], o["UPLOADX"] = upload(st, o["owner"], eap), upload(st, o["owner"], eap, False)
    json.dump(st, open(path, "w"))
    for t in TARGETS:
        print(t, st["t"][t]["enroll"])


def upload(st, who, data, send=True):
    """An upload of data (an app package) as who, all of it sent (not finished) when send."""
    sha = hashlib.sha256(data).hexdigest()
    status, j = call(st, who, "POST", "/admin/v1/uploads",
                     {"kind": "app", "size": len(data), "sha256": sha})
    if status != 201:
        sys.exit("setup: upload as %s: %s %s" % (who, status, j))
    if send:
        status, _ = call(st, who, "PUT", "/admin/v1/uploads/" + j["id"], data,
                         {"Content-Range": "bytes 0-%d/%d" % (len(data) - 1, len(data))})
        if status != 200:
            sys.exit("setup: upload chunk as %s: %s" % (who, status))
    return j["id"]


def mint(app_id, extension=1):
    """A license key of the vendor for app_id, freshly signed."""
    return subprocess.check_output([os.environ["MATRIX_CAMVENDOR"], "mint", "--key",
                                    os.environ["MATRIX_VENDOR_KEY"], "--app", app_id, "--type",
                                    "extension", "--count", str(extension)]).decode().strip()


def new_product(st, who, org, app_id):
    pem = open(os.environ["MATRIX_VENDOR_PUB"]).read()
    return must(st, who, "POST", "/admin/v1/products",
                {"org_id": org, "name": app_id, "app_id": app_id,
                 "types": ["subscription", "extension"], "public_key": pem})["id"]


def objects(path):
    st = json.load(open(path))
    devices = must(st, "owner", "GET", "/admin/v1/devices")["devices"]
    devices += must(st, "owner_b", "GET", "/admin/v1/devices")["devices"]
    for t in TARGETS:
        o = st["t"][t]
        dev = [d["id"] for d in devices if d["folder_id"] == o["FOLDER"]]
        if len(dev) != 1:
            sys.exit("objects: no device in the %s folder: %s" % (t, devices))
        o["DEVICE"] = dev[0]
        o["JOB"] = must(st, o["owner"], "POST", "/admin/v1/jobs",
                        {"image_id": st["image"], "folder_id": o["FOLDER"]})["id"]
        o["TASK"] = must(st, o["owner"], "POST", "/admin/v1/tasks",
                         {"device_id": o["DEVICE"], "image_id": st["image"]})["id"]
        o["LICENSE"] = must(st, o["owner"], "POST", "/admin/v1/licenses",
                            {"device_id": o["DEVICE"], "app": "camagent"})["id"]
        o["SERIAL"] = [d["serial"] for d in devices if d["id"] == o["DEVICE"]][0]
    json.dump(st, open(path, "w"))


def fresh(st, t, name):
    """The value of a placeholder made anew for one cell."""
    o = st["t"][t]
    n = next(counter)
    if name == "UNIQ":
        return "matrix-%d" % n
    if name == "NEWFOLDER":
        return must(st, o["owner"], "POST", "/admin/v1/folders",
                    {"org_id": o["ORG"], "parent_id": o["FOLDER"], "name": "sub-%d" % n})["id"]
    if name == "NEWTASK":
        return must(st, o["owner"], "POST", "/admin/v1/tasks",
                    {"device_id": o["DEVICE"], "image_id": st["image"]})["id"]
    if name in ("NEWUSER", "NEWMEMBER"):
        email = "new%d-%s@example.com" % (n, t)
        signup(st, email)
        if name == "NEWUSER":
            return email
        return must(st, o["owner"], "POST", "/admin/v1/orgs/%s/members" % o["ORG"],
                    {"email": email})["user_id"]
    if name == "NEWLICENSE":
        return must(st, o["owner"], "POST", "/admin/v1/licenses",
                    {"device_id": o["DEVICE"], "app": "app%d" % n})["id"]
    if name == "NEWPRODUCT":
        return new_product(st, o["owner"], o["ORG"], "com.example.fresh%d" % n)
    if name == "NEWKEY":
        return mint(o["APPID"])
    return None


def fill(st, t, text):
    o = dict(st["t"][t], IMAGE=st["image"], IMAGEPATH=st["image_path"], OWNTOKEN=st["own_token"],
             PACKAGE=st["package"], EAPPATH=st["eap_path"],
             PUBKEY=json.dumps(open(os.environ["MATRIX_VENDOR_PUB"]).read())[1:-1])
    out = text
    for key, val in o.items():
        if isinstance(val, str):
            out = out.replace("{%s}" % key, val)
    for m in re.finditer(r"\{([A-Z]+)\}", out):
        val = fresh(st, t, m.group(1))
        if val is None:
            sys.exit("matrix: unknown placeholder " + m.group(0))
        out = out.replace(m.group(0), val, 1)
    return out


def run(path, table):
    st = json.load(open(path))
    failed = 0
    for line in open(table):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        method, route, body, *groups = line.split()
        if len(groups) != 3:
            sys.exit("matrix: a line needs IN OUT OTHER: " + line)
        expect = []
        for g in groups:
            expect.append(expect[-1] if g == "=" else [int(x) for x in g.split(",")])
        for t, want in zip(TARGETS, expect):
            for who, code in zip(PRINCIPALS, want):
                p, b = fill(st, t, route), None if body == "-" else fill(st, t, body)
                got, j = call(st, who, method, p, b)
                name = "%s_%s_%s_%s" % (method, route, t, who)
                ok = got == code
                failed += not ok
                print("%s %s%s" % ("PASS" if ok else "FAIL", name,
                                   "" if ok else " (got %d, want %d: %s)" % (got, code, j)))
    return failed


def lists(path):
    """The organization and grant filters of the lists: PASS/FAIL lines."""
    st = json.load(open(path))
    dev = {t: st["t"][t]["DEVICE"] for t in TARGETS}
    org_a = st["t"]["in"]["ORG"]

    def ids(who, route, key, field="id"):
        return sorted(x[field] for x in must(st, who, "GET", route)[key])

    def job_devices(who, body):
        """The devices a job took in: a task each, or a skip (a task for the image is open)."""
        made = must(st, who, "POST", "/admin/v1/jobs", body)
        assert "tasks" not in made and made["targeted"] == made["tasks_created"] + made["skipped_count"]
        j = must(st, who, "GET", "/admin/v1/jobs/%s" % made["id"])
        return sorted(set(t["device_id"] for t in j["tasks"] + j["skipped"]))

    must(st, "owner", "POST", "/admin/v1/images/%s/recommend" % st["image"])

    rec = {"recommended_model": "P3265-LVE", "allow_downgrade": True}
    checks = [
        ("devices_owner_own_org_only", ids("owner", "/admin/v1/devices", "devices"),
         sorted([dev["in"], dev["out"]])),
        ("devices_operator_granted_only", ids("operator", "/admin/v1/devices", "devices"), [dev["in"]]),
        ("devices_viewer_granted_only", ids("viewer", "/admin/v1/devices", "devices"), [dev["in"]]),
        ("devices_capped_token_sees_all_folders", ids("token", "/admin/v1/devices", "devices"),
         sorted([dev["in"], dev["out"]])),
        ("devices_other_org_owner", ids("owner_b", "/admin/v1/devices", "devices"), [dev["other"]]),
        ("tasks_operator_granted_only", sorted(set(ids("operator", "/admin/v1/tasks", "tasks", "device_id"))),
         [dev["in"]]),
        ("licenses_operator_granted_only",
         sorted(set(ids("operator", "/admin/v1/licenses", "licenses", "device_id"))), [dev["in"]]),
        ("orgs_member_sees_own", ids("viewer", "/admin/v1/orgs", "orgs"), [org_a]),
        ("recommended_job_own_org_only", job_devices("owner_b", dict(rec)), [dev["other"]]),
        ("recommended_job_operator_grants_only", job_devices("operator", dict(rec)), [dev["in"]]),
        ("recommended_job_admin_whole_org", job_devices("admin", dict(rec)),
         sorted([dev["in"], dev["out"]])),
    ]
    failed = 0
    for name, got, want in checks:
        ok = got == want
        failed += not ok
        print("%s %s%s" % ("PASS" if ok else "FAIL", name, "" if ok else " (got %s, want %s)" % (got, want)))
    return failed


if __name__ == "__main__":
    if sys.argv[1] == "setup":
        setup(*sys.argv[2:6])
    elif sys.argv[1] == "objects":
        objects(sys.argv[2])
    elif sys.argv[1] == "lists":
        sys.exit(1 if lists(sys.argv[2]) else 0)
    else:
        sys.exit(1 if run(sys.argv[2], sys.argv[3]) else 0)
