#!/usr/bin/env python3
"""Renders a terminal capture (`tmux capture-pane -e -p`) to a PNG.

The capture goes through pyte, a VT100/xterm emulator, so colours,
bold, reverse video and wide characters land in the cells a terminal
would put them in; Pillow then draws each cell with DejaVu Sans Mono.
Nothing is coloured by hand: the picture is what the terminal showed.

usage: ansi2png.py CAPTURE.ansi OUT.png COLUMNS ROWS [light]

With `light`, the terminal's own colours are dark text on white (what the
dashboard's --theme light is for).
"""

import sys

import pyte
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
FONT_SIZE = 15
# The xterm palette, with a dark background like most control rooms use.
NAMED = {
    "black": (0, 0, 0),
    "red": (205, 49, 49),
    "green": (13, 188, 121),
    "brown": (229, 229, 16),
    "yellow": (229, 229, 16),
    "blue": (36, 114, 200),
    "magenta": (188, 63, 188),
    "cyan": (17, 168, 205),
    "white": (229, 229, 229),
    "brightblack": (102, 102, 102),
    "brightred": (241, 76, 76),
    "brightgreen": (35, 209, 139),
    "brightyellow": (245, 245, 67),
    "brightblue": (59, 142, 234),
    "brightmagenta": (214, 112, 214),
    "brightcyan": (41, 184, 219),
    "brightwhite": (255, 255, 255),
}
DEFAULT_FG = (212, 212, 212)
DEFAULT_BG = (24, 24, 27)


def colour(name, default):
    if name == "default":
        return default
    if name in NAMED:
        return NAMED[name]
    try:
        return tuple(int(name[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return default


def render(capture, out, columns, rows, light=False):
    default_fg, default_bg = (DEFAULT_FG, DEFAULT_BG)
    if light:
        default_fg, default_bg = ((20, 20, 20), (255, 255, 255))
    screen = pyte.Screen(columns, rows)
    stream = pyte.Stream(screen)
    # capture-pane ends lines with \n only; a terminal needs \r\n, and
    # none after the last line (it would scroll the first one away).
    stream.feed(capture.rstrip("\n").replace("\n", "\r\n"))
    regular = ImageFont.truetype(FONT_DIR + "DejaVuSansMono.ttf", FONT_SIZE)
    bold = ImageFont.truetype(FONT_DIR + "DejaVuSansMono-Bold.ttf", FONT_SIZE)
    width = int(regular.getlength("M") + 0.5)
    ascent, descent = regular.getmetrics()
    height = ascent + descent + 2
    image = Image.new("RGB", (columns * width, rows * height), default_bg)
    draw = ImageDraw.Draw(image)
    for y in range(rows):
        line = screen.buffer[y]
        for x in range(columns):
            cell = line[x]
            fg = colour(cell.fg, default_fg)
            bg = colour(cell.bg, default_bg)
            if cell.reverse:
                fg, bg = bg, fg
            box = (x * width, y * height, (x + 1) * width, (y + 1) * height)
            draw.rectangle(box, fill=bg)
            if cell.data.strip():
                font = bold if cell.bold else regular
                draw.text((x * width, y * height + 1), cell.data, font=font, fill=fg)
            if cell.underscore:
                base = (y + 1) * height - 2
                draw.line((x * width, base, (x + 1) * width, base), fill=fg)
    image.save(out)


if __name__ == "__main__":
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    light = len(sys.argv) == 6 and sys.argv[5] == "light"
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        render(f.read(), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), light)
