#!/usr/bin/env python3
"""man/mugai.conf.5 against the configuration the program really has: every [group] and key that
`mugai config check -v` prints is documented under its group's .SS, with the default it prints,
and the page documents no key that does not exist; the page renders without a groff warning."""
import os, re, shutil, subprocess, tempfile, unittest

ROOT = os.environ.get("MUGAI_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
MAN = os.path.join(ROOT, "man", "mugai.conf.5")
PAGE = "man/mugai.conf.5"
SYSTEM_CONF = "/etc/mugai/mugai.conf"

# Escapes that stand for a character, as the page uses them.
SPECIAL = {"em": "\u2014", "en": "\u2013", "->": "\u2192", "lq": "\u201c", "rq": "\u201d",
           "aq": "'", "dq": '"', "mi": "-", "hy": "-"}


def unescape(text):
    """Roff text as a reader sees it: fonts and zero-width escapes dropped, \\- \\e \\( decoded."""
    text = re.sub(r"\\f(\[[^\]]*\]|\(..|.)", "", text)
    text = re.sub(r"\\\((..)", lambda m: SPECIAL.get(m.group(1), m.group(0)), text)
    text = re.sub(r"\\\[([^\]]*)\]", lambda m: SPECIAL.get(m.group(1), m.group(0)), text)
    for esc, plain in (("\\%", ""), ("\\&", ""), ("\\:", ""), ("\\c", ""), ("\\-", "-"),
                       ("\\ ", " "), ("\\~", " ")):
        text = text.replace(esc, plain)
    return text.replace("\\e", "\\")


def macro_args(rest):
    """The arguments of a macro line: blank-separated, "quoted" ones may hold blanks ("" = ")."""
    args, i = [], 0
    while i < len(rest):
        if rest[i] in " \t":
            i += 1
        elif rest[i] == '"':
            j, arg = i + 1, ""
            while j < len(rest):
                if rest.startswith('""', j):
                    arg, j = arg + '"', j + 2
                elif rest[j] == '"':
                    j += 1
                    break
                else:
                    arg, j = arg + rest[j], j + 1
            args.append(arg)
            i = j
        else:
            j = i
            while j < len(rest) and rest[j] not in " \t":
                j += 1
            args.append(rest[i:j])
            i = j
    return args


# A config with one rule, NAME, listing every match key: `mugai config check -v` prints the keys
# of a [rule NAME] section only for a rule that sets them.
RULE_CONF = ("[quarantine]\ndir = /var/spool/mugai/quarantine\n"
             "[rule NAME]\nmatch_rcpt = a@example.jp\nmatch_rcpt_domain = example.jp\n"
             "match_sender = example.com\nmatch_first_contact = yes\nclause = 1\n")


def rule_keys():
    """The keys of [rule NAME] as `mugai config check -v` prints them; all default to empty, but
    a yes/no one (set to yes above), which defaults to no."""
    with tempfile.NamedTemporaryFile("w", suffix=".conf", encoding="utf-8") as f:
        f.write(RULE_CONF)
        f.flush()
        p = subprocess.run([MUGAI, "config", "check", "-v", "-c", f.name], capture_output=True,
                           text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(f"mugai config check -v of a rule exited {p.returncode}:\n{p.stderr}")
    text = p.stdout.split("\n[rule NAME]\n", 1)
    if len(text) != 2:
        raise AssertionError(f"mugai config check -v printed no [rule NAME]:\n{p.stdout}")
    keys = re.findall(r"(?m)^([A-Za-z0-9_]+) =", text[1])
    values = dict(re.findall(r"(?m)^([A-Za-z0-9_]+) = ?(.*)$", text[1]))
    return [("rule NAME", [(k, "no" if values.get(k) == "yes" else "") for k in keys])]


def effective_defaults():
    """[(group, [(key, default)])] in the order `mugai config check -v` prints them. With no
    /etc/mugai/mugai.conf that is the embedded default; else config/mugai.conf (the same text) is
    named, and a "# changed from the default" line gives the default all the same."""
    cmd = [MUGAI, "config", "check", "-v"]
    if os.path.lexists(SYSTEM_CONF):
        cmd += ["-c", os.path.join(ROOT, "config", "mugai.conf")]
    if not os.access(MUGAI, os.X_OK):
        raise AssertionError(f"{MUGAI} is not an executable: build mugai or set MUGAI")
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stderr}")
    groups, changed_from = [], None
    for line in p.stdout.splitlines():
        m = re.match(r"# changed from the default ?(.*)$", line)
        if m:
            changed_from = m.group(1)
            continue
        if not line.strip() or line.startswith("#"):
            continue
        m = re.match(r"\[([^\]]+)\]$", line)
        if m:
            groups.append((m.group(1), []))
            continue
        m = re.match(r"([A-Za-z0-9_]+) =(?: (.*))?$", line)
        if not m or not groups:
            continue  # the "FILE: valid, sha256 ..." line before the dump
        value = m.group(2) or ""
        groups[-1][1].append((m.group(1), changed_from if changed_from is not None else value))
        changed_from = None
    if not groups:
        raise AssertionError(f"{' '.join(cmd)} printed no [group]:\n{p.stdout}")
    return groups


class Entry:
    def __init__(self, key, line):
        self.key, self.line, self.body = key, line, []


def page_groups():
    """{group: {"line": N, "order": i, "entries": [Entry]}} from the page's .SS [group] sections:
    each .TP outside .RS/.RE is a key, its tag line naming it; its body runs to the next such .TP,
    a .PP, .SS or .SH."""
    with open(MAN, encoding="utf-8") as f:
        lines = f.read().splitlines()
    groups, group, entry, depth, want_tag = {}, None, None, 0, False
    for n, raw in enumerate(lines, 1):
        if raw.startswith('.\\"') or raw.startswith("'\\\""):
            continue
        m = re.match(r"\.(\S+)\s*(.*)$", raw) if raw.startswith(".") else None
        name, rest = (m.group(1), m.group(2)) if m else (None, None)
        if want_tag:
            want_tag = False
            tag = unescape("".join(macro_args(rest)) if name else raw).strip()
            entry = Entry(tag, n)
            group["entries"].append(entry)
            continue
        if name in ("SH", "SS"):
            title = unescape(" ".join(macro_args(rest))).strip()
            g = re.match(r"\[([^\]]+)\]$", title) if name == "SS" else None
            group = entry = None
            depth = 0
            if g:
                group = groups.setdefault(g.group(1), {"line": n, "order": len(groups), "entries": []})
            continue
        if group is None:
            continue
        if name == "RS":
            depth += 1
        elif name == "RE":
            depth = max(depth - 1, 0)
        elif name == "TP" and depth == 0:
            want_tag, entry = True, None
            continue
        elif name in ("PP", "LP", "P") and depth == 0:
            entry = None
            continue
        if entry is not None:
            entry.body.append(raw)
    return groups


def stated_default(entry):
    """The default an entry states: the bold text after "Default:", "" for "Default: empty",
    None when it states none."""
    body = "\n".join(entry.body)
    m = re.search(r"Default:\s*\\fB(.*?)\\f[RP]", body)
    if m:
        return unescape(m.group(1))
    if re.search(r"Default:\s*empty\b", body):
        return ""
    return None


class ManPage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dump = effective_defaults() + rule_keys()
        cls.page = page_groups()

    def test_page_is_a_utf8_man_page_with_its_sections(self):
        with open(MAN, encoding="utf-8") as f:
            text = f.read()
        self.assertTrue(text.startswith('.\\" -*- coding: UTF-8 -*-\n'),
                        f"{PAGE}: the first line must be .\\\" -*- coding: UTF-8 -*- (the page is UTF-8)")
        self.assertIsNotNone(re.search(r"(?m)^\.TH MUGAI\.CONF 5 ", text), f"{PAGE}: no .TH MUGAI.CONF 5 line")
        sections = [" ".join(macro_args(line[3:])) for line in text.splitlines() if line.startswith(".SH ")]
        for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "FILES", "EXAMPLES", "SEE ALSO"):
            self.assertIn(section, sections, f"{PAGE}: no .SH {section} (it has: {', '.join(sections)})")

    def test_every_group_has_its_section_in_order(self):
        problems = []
        for group, _ in self.dump:
            if group not in self.page:
                problems.append(f"{PAGE} has no section for [{group}] (.SS [{group}])")
        known = {g for g, _ in self.dump}
        for group, sec in self.page.items():
            if group not in known:
                problems.append(f"{PAGE}:{sec['line']}: .SS [{group}] documents a group that "
                                "`mugai config check -v` does not print (renamed or removed?)")
        dump_order = [g for g, _ in self.dump if g in self.page]
        page_order = sorted((g for g in self.page if g in known), key=lambda g: self.page[g]["order"])
        if not problems and dump_order != page_order:
            problems.append(f"{PAGE}: the groups are in the order {' '.join(page_order)}, "
                            f"not as in config/mugai.conf: {' '.join(dump_order)}")
        if problems:
            self.fail("\n".join(problems))

    def test_every_key_is_documented_with_its_default(self):
        problems = []
        for group, keys in self.dump:
            entries = {}
            for e in self.page.get(group, {"entries": []})["entries"]:
                entries.setdefault(e.key, []).append(e)
            for key, default in keys:
                found = entries.get(key)
                if not found:
                    problems.append(f"{PAGE} does not document [{group}] {key} "
                                    f"(a .TP entry tagged \".B {key}\" under .SS [{group}])")
                    continue
                if len(found) > 1:
                    problems.append(f"{PAGE}:{found[1].line}: [{group}] {key} is documented twice "
                                    f"(first at line {found[0].line})")
                stated = stated_default(found[0])
                wanted = f"Default: \\fB{default}\\fR" if default else "Default: empty"
                if stated is None:
                    problems.append(f"{PAGE}:{found[0].line}: [{group}] {key} states no default "
                                    f"(want \"{wanted}\")")
                elif stated != default:
                    problems.append(f"{PAGE}:{found[0].line}: [{group}] {key}: the page says the default "
                                    f"is \"{stated}\", `mugai config check -v` prints \"{default}\"")
        if problems:
            self.fail("\n".join(problems))

    def test_page_documents_no_key_that_does_not_exist(self):
        problems = []
        known = {g: {k for k, _ in keys} for g, keys in self.dump}
        for group, sec in self.page.items():
            if group not in known:
                continue  # reported by test_every_group_has_its_section_in_order
            for e in sec["entries"]:
                if e.key not in known[group]:
                    problems.append(f"{PAGE}:{e.line}: documents [{group}] {e.key}, which "
                                    "`mugai config check -v` does not print (renamed or removed?)")
        if problems:
            self.fail("\n".join(problems))

    def test_every_smtp_reply_is_explained_with_its_reason_word(self):
        """Each reply of src/sanitize/reasons.c has a .TP entry under .SH SMTP REPLIES tagged
        ".B CODE STATUS TEXT", whose body names its reason word and explains it in Japanese."""
        with open(os.path.join(ROOT, "src", "sanitize", "reasons.c"), encoding="utf-8") as f:
            table = f.read()
        replies = re.findall(r'\{"(\w+)", "(\d{3})", "(\d\.\d\.\d)",\s*"([^"]+)"[,}]', table)
        self.assertGreater(len(replies), 10, "reasons.c changed shape: the test reads it")
        with open(MAN, encoding="utf-8") as f:
            page = f.read()
        section = page.split("\n.SH SMTP REPLIES\n", 1)
        self.assertEqual(len(section), 2, f"{PAGE} has no .SH SMTP REPLIES")
        section = section[1].split("\n.SH ", 1)[0]
        entries = dict(re.findall(r'\.TP\n\.B ([^\n]+)\n(.*?)(?=\n\.TP\n|$)', section, re.S))
        problems = []
        for word, code, status, text in replies:
            tagged = [t for t in entries if t == f"{code} {status} {text}" or
                      t.startswith(f"{code} {status} {text}:")]
            if not tagged:
                problems.append(f'{PAGE}: SMTP REPLIES has no entry ".B {code} {status} {text}"')
                continue
            body = entries[tagged[0]]
            if f".BR {word} :" not in body:
                problems.append(f"{PAGE}: the entry of {code} {status} does not name its reason {word}")
            if not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", body):
                problems.append(f"{PAGE}: the entry of {code} {status} {text} has no Japanese")
        if problems:
            self.fail("\n".join(problems))

    def test_groff_renders_without_warnings(self):
        if shutil.which("groff") is None:
            self.skipTest("groff is not installed (apt-get install groff-base)")
        # -k: preconv reads the page as UTF-8 (its coding line), as man(1) does.
        p = subprocess.run(["groff", "-k", "-man", "-Tutf8", "-ww", "-z", MAN],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0 or p.stderr:
            self.fail(f"groff -k -man -Tutf8 -ww -z {PAGE} exited {p.returncode} and warns:\n{p.stderr}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
