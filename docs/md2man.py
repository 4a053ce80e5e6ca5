#!/usr/bin/env python3
"""Render docs/cellrun.1.md (the readable source of the man page) as roff.

usage: md2man.py < cellrun.1.md > cellrun.1

Understands the small Markdown subset the page uses: a "% NAME(S) source |
manual" title line, "# SECTION" headings, paragraphs, definition lists
("**term**" then ":   text", continued by lines indented four spaces),
code blocks indented four spaces, and **bold**, *italic* or _italic_ inline.
"""
import re
import sys


def escape(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return text


def inline(text):
    text = escape(text)
    # _x_ first: after **...** became \fB...\fR its neighbours are letters
    text = re.sub(r"(?<!\w)_(?!\s)(.+?)_(?!\w)", r"\\fI\1\\fR", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\\fB\1\\fR", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)\*", r"\\fI\1\\fR", text)
    return text


def line_safe(text):
    """A roff line must not start with a control character."""
    return "\\&" + text if text[:1] in (".", "'") else text


def blocks(lines):
    block = []
    for line in lines:
        if line.strip():
            block.append(line.rstrip("\n"))
        elif block:
            yield block
            block = []
    if block:
        yield block


def render(src):
    out = ['.\\" Generated from docs/cellrun.1.md by docs/md2man.py; edit the Markdown.']
    for block in blocks(src.splitlines()):
        first = block[0]
        if first.startswith("% "):
            m = re.match(r"%\s*(\S+)\((\d)\)\s*(.*?)\s*\|\s*(.*)", first)
            if not m:
                raise SystemExit("md2man: bad title line: " + first)
            name, section, source, manual = m.groups()
            out.append('.TH %s %s "" "%s" "%s"' % (name, section, source, manual))
        elif first.startswith("# "):
            out.append(".SH " + escape(first[2:].strip()))
        elif all(l.startswith("    ") for l in block):
            out += [".PP", ".RS 4", ".nf"] + [line_safe(escape(l[4:])) for l in block] + [".fi", ".RE"]
        elif len(block) > 1 and block[1].startswith(":   "):
            text = " ".join([block[1][4:].strip()] + [l.strip() for l in block[2:]])
            out += [".TP", line_safe(inline(first.strip())), line_safe(inline(text))]
        else:
            out += [".PP", line_safe(inline(" ".join(l.strip() for l in block)))]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(sys.stdin.read()))
