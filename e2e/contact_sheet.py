"""``python -m e2e.contact_sheet [FILE]``: every frame, matte and canvas edge of the option tables, rendered
by the preview renderer on one sheet (``docs/img/previews-contact-sheet.jpg`` by default), with the wall
view's colours and scale references below. Not a test; run it after visual changes to the previews."""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from easel.demo.images import draw_artwork
from easel.demo.seed import demo_rows
from easel.domain.catalog import Artwork
from easel.domain.configuration import resolve
from easel.domain.options import load_option_tables
from easel.previews.profiles import load_profiles
from easel.previews.views import front_view
from easel.previews.wall import WALLS, wall_view
from easel.widget.previews import piece_for

CELL = 300
LABEL = 34
COLUMNS = 6


def _artwork(code: str) -> tuple[Artwork, Image.Image]:
    row = next(r for r in demo_rows() if r["code"] == code)
    artwork = Artwork(code, row["title"], row["artist"], "", row["w"], row["h"], "", ("paper", "canvas"))
    scale = 900 / max(row["w"], row["h"])
    return artwork, draw_artwork(code, row["motif"], round(row["w"] * scale), round(row["h"] * scale))


def main() -> None:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img/previews-contact-sheet.jpg")
    tables = load_option_tables()
    profiles = load_profiles((f.code, f.width) for f in tables.frames)
    artwork, art = _artwork("V00551")
    frames = {f.code: f.name for f in tables.frames}
    mattes = {m.code: m.name for m in tables.mattes}
    cells: list[tuple[str, Image.Image]] = []

    def add(label: str, choices: dict[str, str], wall: str | None = None, reference: str = "sofa") -> None:
        piece = piece_for(resolve(artwork, {"size": "M", **choices}, tables), tables, profiles)
        if wall is None:
            cells.append((label, front_view(piece, art, CELL)))
        else:
            picture = wall_view(piece, art, CELL * 4 // 3, wall, reference)
            cells.append((label, picture.resize((CELL, CELL * 3 // 4), Image.Resampling.LANCZOS)))

    for code in tables.frame_codes_for("PF"):
        add(f"PF {code} {frames[code]}", {"substrate": "paper", "style": "PF", "frame": code})
    add("PF F0305 Floater black (CF)", {"substrate": "canvas", "style": "CF", "frame": "F0305"})
    for code in tables.matte_codes_for("PF"):
        add(f"{code} {mattes[code]}", {"substrate": "paper", "style": "PF", "frame": "F0093", "matte": code})
    add("PO paper, 1 in margin", {"substrate": "paper", "style": "PO"})
    for bar in ("0.75", "1.5"):
        for kind in ("mirror", "blur", "color"):
            extra = {"border_color": "#2f5d8a"} if kind == "color" else {}
            add(f"CG {kind}, {bar} in bars",
                {"substrate": "canvas", "style": "CG", "border_type": kind, "stretcher_bar": bar, **extra})
    for i, wall in enumerate(WALLS):
        add(f"wall: {wall}", {"substrate": "paper", "style": "PF", "frame": "F0101", "matte": "ML002"}, wall,
            "person" if i % 2 else "sofa")
    rows = -(-len(cells) // COLUMNS)
    sheet = Image.new("RGB", (COLUMNS * CELL, rows * (CELL + LABEL)), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(15)
    for i, (label, picture) in enumerate(cells):
        x, y = (i % COLUMNS) * CELL, (i // COLUMNS) * (CELL + LABEL)
        sheet.paste(picture, (x, y + (CELL - picture.size[1]) // 2))
        draw.text((x + 8, y + CELL + 8), label, fill=(40, 40, 40), font=font)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.suffix.lower() in (".jpg", ".jpeg"):
        sheet.save(target, quality=82)
    else:
        sheet.save(target)
    print(f"wrote {target} ({len(cells)} pictures)")


if __name__ == "__main__":
    main()
