#!/usr/bin/env python3
"""man/mugai.8 and man/mugai-milter.8 against the programs' own --help: every command `mugai
--help` (and `mugai quarantine --help`) lists has its .SS "mugai COMMAND" section, every option
each --help lists is a .TP entry of that section (-h/--help once, under .SH OPTIONS), no .TP entry
names an option the program does not have, every exit status a --help names is a .TP entry after
the section's "Exit status" line; the pages have their sections and render without a warning from
groff -ww or man --warnings."""
import os, re, shutil, subprocess, sys, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_man_page import macro_args, unescape  # noqa: E402  (same roff reading as mugai.conf.5's)

ROOT = os.environ.get("MUGAI_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
MUGAI_MILTER = os.environ.get("MUGAI_MILTER") or os.path.join(ROOT, "build", "mugai-milter")
PAGES = {"mugai": os.path.join(ROOT, "man", "mugai.8"),
         "mugai-milter": os.path.join(ROOT, "man", "mugai-milter.8")}
HELP_OPTIONS = {"-h", "--help"}
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def help_text(*argv):
    if not os.access(argv[0], os.X_OK):
        raise AssertionError(f"{argv[0]} is not an executable: build it or set MUGAI / MUGAI_MILTER")
    p = subprocess.run([*argv, "--help"], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} --help exited {p.returncode}:\n{p.stderr}")
    return p.stdout


def help_options(text):
    """The options of the option tables of a --help (GLib's "Help Options:" and "Application
    Options:", mugai's own "Options:"): each entry line's -x and --long."""
    options, in_table = set(), False
    for line in text.splitlines():
        if re.match(r"^(Help |Application )?Options:$", line):
            in_table = True
            continue
        if in_table and not line.strip():
            in_table = False
            continue
        if in_table:
            m = re.match(r"^\s+((?:-\w, )?--[\w-]+)", line)
            if m:
                options.update(re.findall(r"--?[\w-]+", m.group(1)))
    return options


def help_exit_codes(text):
    """The codes an "Exit status" paragraph of a --help names: "Exit status: 0 done, 2 usage..."
    or a table of "  0   meaning" lines."""
    m = re.search(r"(?m)^Exit status[^\n]*(?:\n(?!\n)[^\n]*)*", text)
    if not m:
        return set()
    para = m.group(0)
    para = para.split(":", 1)[1] if ":" in para.splitlines()[0] else para
    return set(re.findall(r"(?:^|[:,]\s|\n\s+)(\d{1,3})(?=\s+[A-Za-z(]|,)", para.lstrip()))


def mugai_commands():
    """["sanitize", "config check", ..., "quarantine list", ...] as the helps list them."""
    commands = []
    top = help_text(MUGAI)
    block = top.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    for line in block.splitlines():
        m = re.match(r"^  (\S+(?: [a-z][\w|-]*)?)", line)
        if not m:
            continue
        words = m.group(1).split()
        if words[0] == "quarantine":
            continue  # from `mugai quarantine --help` below, which lists every subcommand
        alternatives = words[1].split("|") if len(words) > 1 else [None]
        for alt in alternatives:
            commands.append(words[0] if alt is None else f"{words[0]} {alt}")
    q = help_text(MUGAI, "quarantine")
    block = q.split("\nSubcommands", 1)[1].split("\n\n", 1)[0]
    for line in block.splitlines()[1:]:
        m = re.match(r"^  ([a-z][\w-]*)\b", line)
        if m:
            commands.append(f"quarantine {m.group(1)}")
    return commands


class Section:
    def __init__(self, title, line):
        self.title, self.line, self.tags, self.exit_codes, self.text = title, line, [], [], []


def page_sections(path):
    """[Section] of a page: each .SH and .SS, with its .TP tags (unescaped) and the numeric tags
    that follow its "Exit status" line."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    sections, sec, want_tag, in_exit = [], None, False, False
    for n, raw in enumerate(lines, 1):
        if raw.startswith('.\\"'):
            continue
        m = re.match(r"\.(\S+)\s*(.*)$", raw) if raw.startswith(".") else None
        name, rest = (m.group(1), m.group(2)) if m else (None, None)
        if name in ("SH", "SS"):
            sec = Section(unescape(" ".join(macro_args(rest))).strip(), n)
            sec.kind = name
            sections.append(sec)
            want_tag = in_exit = False
            continue
        if sec is None:
            continue
        if want_tag:
            want_tag = False
            tag = unescape("".join(macro_args(rest)) if name else raw).strip()
            sec.tags.append((tag, n))
            if in_exit and re.fullmatch(r"\d{1,3}", tag):
                sec.exit_codes.append(tag)
            continue
        if name == "TP":
            want_tag = True
            continue
        text = unescape(" ".join(macro_args(rest)) if name else raw)
        if re.match(r"Exit status\b", text.strip()):
            in_exit = True
        sec.text.append(text)
    return sections


def command_of(section):
    """("config", "check") for .SS "mugai config check": the words after "mugai"."""
    words = section.title.split()
    return tuple(words[1:]) if words and words[0] == "mugai" else None


def option_tags(section):
    """The options each .TP tag of SECTION names (its leading -x, --long words)."""
    options = {}
    for tag, line in section.tags:
        if tag.startswith("-"):
            for opt in OPTION.findall(tag):
                options[opt.split("=", 1)[0]] = line
    return options


class ProgramManPages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sections = {prog: page_sections(path) for prog, path in PAGES.items()}

    def section(self, prog, title, kind="SH"):
        for s in self.sections[prog]:
            if s.kind == kind and s.title == title:
                return s
        return None

    def test_pages_have_their_sections(self):
        problems = []
        wanted = {"mugai": ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "EXIT STATUS",
                            "FILES", "SIGNALS", "EXAMPLES", "SEE ALSO"],
                  "mugai-milter": ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS",
                                   "FILES", "SIGNALS", "EXAMPLES", "SEE ALSO"]}
        for prog, path in PAGES.items():
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if not text.startswith('.\\" -*- coding: UTF-8 -*-\n'):
                problems.append(f"{path}: the first line must be .\\\" -*- coding: UTF-8 -*-")
            th = prog.upper().replace("-", "\\-")
            if not re.search(rf"(?m)^\.TH {re.escape(th)} 8 ", text):
                problems.append(f"{path}: no .TH {th} 8 line")
            have = [s.title for s in self.sections[prog] if s.kind == "SH"]
            for want in wanted[prog]:
                if want not in have:
                    problems.append(f"{path}: no .SH {want} (it has: {', '.join(have)})")
        if problems:
            self.fail("\n".join(problems))

    def check_section(self, path, section, label, help_, problems, global_options=frozenset()):
        documented = option_tags(section)
        listed = help_options(help_)
        for opt in sorted(listed - set(documented) - set(global_options)):
            problems.append(f"{path}:{section.line}: {label} --help lists {opt}, which has no .TP "
                            f"entry under \"{section.title}\"")
        for opt, line in sorted(documented.items()):
            if opt not in listed:
                problems.append(f"{path}:{line}: \"{section.title}\" documents {opt}, which "
                                f"{label} --help does not list (renamed or removed?)")
        codes = help_exit_codes(help_)
        if not codes:
            problems.append(f"{label} --help names no exit status (the test reads it)")
        for code in sorted(codes - set(section.exit_codes), key=int):
            problems.append(f"{path}:{section.line}: {label} --help names exit status {code}, which "
                            f"has no .TP entry after \"Exit status\" under \"{section.title}\"")
        for code in sorted(set(section.exit_codes) - codes, key=int):
            problems.append(f"{path}:{section.line}: \"{section.title}\" documents exit status {code}, "
                            f"which {label} --help does not name")

    def test_mugai_milter_options_and_exit_status(self):
        path, problems = PAGES["mugai-milter"], []
        options = self.section("mugai-milter", "OPTIONS")
        status = self.section("mugai-milter", "EXIT STATUS")
        if options is None or status is None:
            self.skipTest("reported by test_pages_have_their_sections")
        help_ = help_text(MUGAI_MILTER)
        # The page keeps the options under OPTIONS and the codes under EXIT STATUS.
        options.exit_codes = [t for t, _ in status.tags if re.fullmatch(r"\d{1,3}", t)]
        self.check_section(path, options, "mugai-milter", help_, problems)
        signals = " ".join(self.section("mugai-milter", "SIGNALS").text +
                           [t for t, _ in self.section("mugai-milter", "SIGNALS").tags])
        for sig in re.findall(r"\bSIG[A-Z]+\b", help_):
            if sig not in signals:
                problems.append(f"{path}: mugai-milter --help names {sig}, .SH SIGNALS does not")
        if problems:
            self.fail("\n".join(problems))

    def test_mugai_commands_options_and_exit_status(self):
        path, problems = PAGES["mugai"], []
        top = self.section("mugai", "OPTIONS")
        if top is None:
            self.skipTest("reported by test_pages_have_their_sections")
        top_help = help_text(MUGAI)
        top_listed = help_options(top_help)
        top_documented = option_tags(top)
        for opt in sorted(top_listed - set(top_documented)):
            problems.append(f"{path}:{top.line}: mugai --help lists {opt}, which has no .TP entry "
                            "under .SH OPTIONS")
        for opt, line in sorted(top_documented.items()):
            if opt not in top_listed:
                problems.append(f"{path}:{line}: .SH OPTIONS documents {opt}, which mugai --help "
                                "does not list")
        subsections = [s for s in self.sections["mugai"] if s.kind == "SS" and command_of(s)]
        used = set()
        for command in mugai_commands():
            words = tuple(command.split())
            # The section of the longest title that is a prefix of the command ("mugai lists"
            # documents lists export and lists import).
            candidates = [s for s in subsections if words[:len(command_of(s))] == command_of(s)]
            if not candidates:
                problems.append(f"{path}: `mugai {command} --help` exists, the page has no "
                                f".SS \"mugai {command}\" under .SH COMMANDS")
                continue
            section = max(candidates, key=lambda s: len(command_of(s)))
            used.add(section.title)
            self.check_section(path, section, f"mugai {command}", help_text(MUGAI, *words),
                               problems, global_options=HELP_OPTIONS)
        for s in subsections:
            if s.title not in used:
                problems.append(f"{path}:{s.line}: .SS \"{s.title}\" documents a command that "
                                "mugai --help and mugai quarantine --help do not list")
        if problems:
            self.fail("\n".join(problems))

    def test_renders_without_warnings(self):
        if shutil.which("groff") is None:
            self.skipTest("groff is not installed (apt-get install groff-base)")
        problems = []
        for path in PAGES.values():
            p = subprocess.run(["groff", "-k", "-man", "-Tutf8", "-ww", "-z", path],
                               capture_output=True, text=True, timeout=60)
            if p.returncode != 0 or p.stderr:
                problems.append(f"groff -k -man -Tutf8 -ww -z {path} exited {p.returncode}:\n{p.stderr}")
            if shutil.which("man"):
                p = subprocess.run(["man", "--warnings", "-l", path], capture_output=True, text=True,
                                   timeout=60, env={**os.environ, "MANPAGER": "cat", "PAGER": "cat",
                                                    "MANWIDTH": "80"})
                if p.returncode != 0 or p.stderr:
                    problems.append(f"man --warnings -l {path} exited {p.returncode}:\n{p.stderr}")
        if problems:
            self.fail("\n".join(problems))


if __name__ == "__main__":
    unittest.main(verbosity=2)
