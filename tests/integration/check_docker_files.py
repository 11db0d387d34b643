#!/usr/bin/env python3
"""tests/integration/check_docker_files.py - docker/ checked without a Docker
engine, for tests/integration/test_docker_files.sh.

    check_docker_files.py SOURCE_DIR CONTRACT PROPERTIES ACL_LOG SECRETS_DIR

SOURCE_DIR is the checkout; CONTRACT the outside contract (its Topics table
names the topics); PROPERTIES librdkafka's property names, one a line (from
`kcat -X list`, not from this project); ACL_LOG the arguments
kafka-init/init.sh gave its stand-in kafka-*.sh tools, one call a line;
SECRETS_DIR what docker/secrets.sh made. Prints one "ok: ..." line per check,
and exits 1 on the first failure with the reason.

Checked: compose.yaml parses as YAML; every long-running service has a
healthcheck (the one-shot ones -- restart "no", waited for with
service_completed_successfully -- need none); every service run from the
project's image runs as a non-root numeric user, and the Dockerfile's last
USER is one; no password is written in compose.yaml or the Dockerfile (no
literal after a password-like key, no user:password@ URL, none of the
passwords secrets.sh made); every -X of a command is a librdkafka property
and none is a secret; every secret a service names is declared and
secrets.sh makes its file; the ACLs are exactly each program's needs, on
topics of the contract.
"""
import re
import sys

import yaml

PROJECT_IMAGE = "docker/Dockerfile"
# What each Kafka user may do (kafka-init/init.sh's header, README "Kafka
# security"): (operation, resource type, name).
EXPECTED_ACLS = {
    "eqm-stop-search": {("Read", "topic", "stop-search.events"), ("Read", "group", "eqm-stop-search"),
                        ("Write", "topic", "equality.dead-letter")},
    "eqm-custody": {("Read", "topic", "custody.events"), ("Read", "group", "eqm-custody"),
                    ("Write", "topic", "equality.dead-letter")},
    "eqm-recruitment": {("Read", "topic", "recruitment.events"), ("Read", "group", "eqm-recruitment"),
                        ("Write", "topic", "equality.dead-letter")},
    "eqm-alert-relay": {("Write", "topic", "equality.alerts")},
    "eqm-notify": {("Read", "topic", "equality.alerts"), ("Read", "group", "eqm-notify")},
    "eqm-web": {("Describe", "topic", t) for t in
                ("stop-search.events", "custody.events", "recruitment.events", "equality.alerts")},
    "eqm-ingest": {("Write", "topic", t) for t in
                   ("stop-search.events", "custody.events", "recruitment.events")},
}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def ok(msg):
    print("ok: " + msg)


def contract_topics(path):
    """Backquoted names of the first column of the contract's Topics table."""
    topics, inside = set(), False
    for line in open(path, encoding="utf-8"):
        if line.startswith("## "):
            inside = line.strip().startswith("## Topics")
            continue
        m = re.match(r"\|\s*`([^`]+)`\s*\|", line)
        if inside and m:
            topics.add(m.group(1))
    if not topics:
        fail("no topics found in the contract's Topics table")
    return topics


def main():
    src, contract, props_file, acl_log, secrets_dir = sys.argv[1:6]
    compose_text = open(src + "/docker/compose.yaml", encoding="utf-8").read()
    docker_text = open(src + "/docker/Dockerfile", encoding="utf-8").read()
    try:
        compose = yaml.safe_load(compose_text)
    except yaml.YAMLError as e:
        fail("compose.yaml does not parse: %s" % e)
    services = compose.get("services") or {}
    if not services:
        fail("compose.yaml has no services")
    ok("compose.yaml parses as YAML: %d services" % len(services))

    # Healthchecks.
    one_shot = set()
    for svc in services.values():
        for dep, cond in (svc.get("depends_on") or {}).items():
            if (cond or {}).get("condition") == "service_completed_successfully":
                one_shot.add(dep)
    for name, svc in services.items():
        if name in one_shot:
            if svc.get("restart") != "no":
                fail("%s is waited for to complete but restarts (%r)" % (name, svc.get("restart")))
            continue
        hc = svc.get("healthcheck") or {}
        test = hc.get("test")
        if not test or hc.get("disable") or test == ["NONE"]:
            fail("service %s has no healthcheck" % name)
    ok("a healthcheck for every long-running service (one-shot: %s)" % ", ".join(sorted(one_shot)))
    for must in ("stop-search", "custody", "recruitment", "alert-relay", "notify", "web"):
        if must not in services:
            fail("no service %s" % must)
    if "/healthz" not in " ".join(services["web"]["healthcheck"]["test"]):
        fail("eqm-web's healthcheck does not ask /healthz")

    # Users.
    users = re.findall(r"^USER\s+(\S+)", docker_text, re.M)
    if not users:
        fail("the Dockerfile has no USER")
    last = users[-1].split(":")[0]
    if not last.isdigit() or int(last) == 0:
        fail("the Dockerfile's last USER is %s, not a numeric non-root uid" % users[-1])
    ours = 0
    for name, svc in services.items():
        build = svc.get("build")
        if not build:
            continue
        if (build.get("dockerfile") if isinstance(build, dict) else None) != PROJECT_IMAGE:
            fail("%s is built from something other than %s" % (name, PROJECT_IMAGE))
        ours += 1
        user = str(svc.get("user", users[-1])).split(":")[0]
        if not user.isdigit() or int(user) == 0:
            fail("%s runs as user %r" % (name, user))
    ok("the image's USER %s; %d services of the project's image run as non-root uids"
       % (users[-1], ours))

    # No password written down.
    generated = set()
    import os
    for f in os.listdir(secrets_dir):
        if f.endswith("-password"):
            generated.add(open(os.path.join(secrets_dir, f), encoding="utf-8").read().strip())
    for label, text in (("compose.yaml", compose_text), ("Dockerfile", docker_text)):
        for pw in generated:
            if pw and pw in text:
                fail("%s holds a password secrets.sh made" % label)
        for m in re.finditer(r"(?i)([A-Za-z0-9_.]*(password|passwd|secret)[A-Za-z0-9_.]*)[ \t]*[:=][ \t]*(\S*)",
                             text):
            key, value = m.group(1), m.group(3).strip("\"'`")
            # A placeholder ("smtp.password = ..."), a file, nothing.
            if (key.lower().endswith("_file") or value.startswith("/run/secrets/") or not value
                    or value == "..."):
                continue
            # A compose secret's name, or a comment's words.
            if value.startswith("{") or value.startswith("[") or value.endswith(","):
                continue
            fail("%s: %s = %s looks like a password written down" % (label, key, value))
        if re.search(r"://[^/\s:@]+:[^/\s@]+@", text):
            fail("%s holds a URL with a password" % label)
    for name, svc in services.items():
        env = svc.get("environment") or {}
        for key, value in (env.items() if isinstance(env, dict) else []):
            if re.search(r"(?i)password|secret", key) and not key.endswith("_FILE"):
                fail("%s: environment %s carries a secret" % (name, key))
    ok("no password in compose.yaml or the Dockerfile, nor in any service's environment")

    # -X properties.
    props = {l.strip() for l in open(props_file, encoding="utf-8") if l.strip()}
    if len(props) < 100:
        fail("only %d librdkafka properties listed" % len(props))
    seen = set()
    for name, svc in services.items():
        cmd = svc.get("command") or []
        if isinstance(cmd, str):
            cmd = cmd.split()
        for i, arg in enumerate(cmd):
            if arg != "-X":
                continue
            if i + 1 >= len(cmd) or "=" not in cmd[i + 1]:
                fail("%s: -X without PROPERTY=VALUE" % name)
            key = cmd[i + 1].split("=", 1)[0]
            if key not in props:
                fail("%s: -X %s is not a librdkafka property" % (name, key))
            if re.search(r"password|secret|ssl\.key\.pem|oauthbearer\.config", key):
                fail("%s: -X %s is a secret on the command line" % (name, key))
            seen.add(key)
    if "security.protocol" not in seen or "sasl.mechanism" not in seen:
        fail("no service sets security.protocol and sasl.mechanism")
    ok("every -X is a librdkafka property, none a secret: %s" % ", ".join(sorted(seen)))

    # Secrets: declared, made.
    declared = compose.get("secrets") or {}
    for name, svc in services.items():
        for s in svc.get("secrets") or []:
            s = s if isinstance(s, str) else s.get("source")
            if s not in declared:
                fail("%s uses undeclared secret %s" % (name, s))
    for s, spec in declared.items():
        path = spec.get("file", "")
        if not path.startswith("./secrets/"):
            fail("secret %s is not a file of docker/secrets/" % s)
        if not os.path.isfile(os.path.join(secrets_dir, path[len("./secrets/"):])):
            fail("secrets.sh does not make %s" % path)
    ok("every secret declared and made by secrets.sh (%d)" % len(declared))

    # ACLs.
    topics = contract_topics(contract)
    acls = {}
    for line in open(acl_log, encoding="utf-8"):
        args = line.split()
        if not args or args[0] != "kafka-acls.sh":
            continue
        a = dict(zip(args[1::1], args[2::1]))
        principal = a.get("--allow-principal", "")
        if not principal.startswith("User:"):
            fail("an ACL without a user: %s" % line.strip())
        if "--topic" in a:
            res = ("topic", a["--topic"])
            if res[1] not in topics:
                fail("ACL on %s, not a topic of the contract (%s)" % (res[1], ", ".join(sorted(topics))))
        elif "--group" in a:
            res = ("group", a["--group"])
        else:
            fail("an ACL on neither a topic nor a group: %s" % line.strip())
        if "--deny-principal" in a or a.get("--topic") == "*" or a.get("--group") == "*":
            fail("a wildcard or deny ACL: %s" % line.strip())
        acls.setdefault(principal[5:], set()).add((a["--operation"], res[0], res[1]))
    if acls != EXPECTED_ACLS:
        for user in sorted(set(acls) | set(EXPECTED_ACLS)):
            got, want = acls.get(user, set()), EXPECTED_ACLS.get(user, set())
            if got != want:
                fail("ACLs of %s: extra %s, missing %s" % (user, sorted(got - want), sorted(want - got)))
    ok("ACLs exactly each program's needs, on the contract's topics (%d users, %d ACLs)"
       % (len(acls), sum(len(v) for v in acls.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
