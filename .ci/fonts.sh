#!/usr/bin/env bash
# Builds the self-hosted web fonts in public/fonts/ (served at /fonts/). Not run by CI: the
# generated WOFF2 files are committed assets; run this only to rebuild or change them.
#
# What it makes, and from what (both fonts are under the SIL Open Font License 1.1, which is
# written next to them as OFL-*.txt; the name tables keep their copyright and licence records):
#   noto-sans-thai-400.woff2, noto-sans-thai-700.woff2
#       Noto Sans Thai 2.000 Regular and Bold, from Debian 12's fonts-noto-core 20201225-1,
#       subset to the Thai block plus ZWSP/ZWNJ/ZWJ and the dotted circle (hinting kept).
#   noto-color-emoji.woff2
#       Noto Color Emoji 2.042 (CBDT bitmaps), from Debian 12's fonts-noto-color-emoji
#       2.042-0+deb12u1, subset to the $EMOJI list below plus ZWJ and VS16, and whatever
#       ZWJ/flag ligatures those complete. The whole font is ~10 MB and the picker offers all
#       ~1,900 emoji, so only the quick reactions, the UI's own icons, the picker's first screen
#       and the most common ones are kept, to stay under $EMOJI_BUDGET; no skin-tone variants
#       (they would add ~140 KB), no flags.
#   OFL-NotoSansThai.txt, OFL-NotoColorEmoji.txt
#       The fonts' copyright notices plus the OFL text from the Debian packages' copyright files.
#
# How: `apt-get download` fetches the two .deb files and `dpkg-deb -x` unpacks them in a temp
# folder (nothing is installed, so a machine without Thai or emoji fonts stays one, for testing
# the fallback); fonttools 4.68.0 and brotli 1.2.1 from PyPI in a throwaway venv do the rest:
#   pyftsubset NotoSansThai-{Regular,Bold}.ttf --unicodes=U+0E00-0E7F,U+200B-200D,U+25CC \
#     --name-IDs='*' --flavor=woff2 --output-file=public/fonts/noto-sans-thai-{400,700}.woff2
#   pyftsubset NotoColorEmoji.ttf --text="$EMOJI" --unicodes=U+200D,U+FE0F \
#     --name-IDs='*' --flavor=woff2 --output-file=public/fonts/noto-color-emoji.woff2
# The output is deterministic for these versions (pyftsubset keeps head.modified).
#
# The @font-face rules are in style/main.css. Their unicode-range names what each file covers
# (so Latin-only pages never download either font, and emoji the file lacks do not fetch it for
# nothing), less ZWNJ/ZWJ for the Thai files: this script prints the ranges at the end; paste them
# there when the emoji list changes.
#
# Usage: bash .ci/fonts.sh   (as root, or with sudo for apt-get; needs python3-venv)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
out="$CONFAB_ROOT/public/fonts"

NOTO_CORE="fonts-noto-core=20201225-1"
NOTO_EMOJI="fonts-noto-color-emoji=2.042-0+deb12u1"
PY_PACKAGES=(fonttools==4.68.0 brotli==1.2.1)
EMOJI_BUDGET=368640 # bytes (360 KiB)

# Every one is in the picker's catalog (the `emojis` crate). The first line is the toolbar's
# quick reactions (app/src/components/message_toolbar.rs); the second the icons the UI itself
# shows (delete, muted room, image and file previews), which must never be boxes; the third the
# rest of the picker's first screen (its first six rows, less what Noto 2.042 lacks: 🫩 and the
# Unicode 15.1 head shakes). Spaces and newlines are dropped.
EMOJI="
👍 ❤️ 😂 🎉 😮 😢
🗑 🔕 🖼 📎
🫠 🤩 😗 ☺️ 😚 😙 🥲 🤑 🫢 🫣 🤫 🫡 🤐 🫥 😶‍🌫️ 😒 😮‍💨 🤥 🫨
👎 😀 😃 😄 😁 😆 😅 🤣 😊 😇 🙂 🙃 😉 😌 😍 🥰 😘 😋 😛 😜 🤪 😝 🤗 🤭 🤔 🤨 😐 😑 😶 🙄 😏
😬 😴 🤤 😷 🤯 🥳 😎 😕 😟 🙁 😯 😲 😳 🥺 😥 😭 😱 😣 😞 😩 😫 😤 😡 😠 🤬 😈 💀 💩 🙈 🙊
🧡 💛 💚 💙 💜 🖤 🤍 💔 💕 💖 💯 💥 💤 💬
👋 👌 ✌️ 🤞 🤙 👈 👉 👆 👇 👏 🙌 🙏 🤝 💪 👀 🤷 🤦
🔥 ✨ ⭐ 🌟 🚀 🎂 🎁 🎈 🏆 ☕ 🍻 🌹 🌸 💡 📌 ⏰ ✅ ❌ ❓ ❗ ⚠️ 🆗
"
EMOJI="$(printf '%s' "$EMOJI" | tr -d ' \n')"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
download() { apt-get download -q -o APT::Sandbox::User=root "$NOTO_CORE" "$NOTO_EMOJI"; }
if ! download; then
  echo "[fonts] apt-get update, then retrying (if the versions above are gone, update the pins)"
  as_root apt-get update -qq
  download
fi
sha256sum ./*.deb
for deb in ./*.deb; do dpkg-deb -x "$deb" root; done
ttf="$work/root/usr/share/fonts/truetype/noto"
doc="$work/root/usr/share/doc"

python3 -m venv venv
venv/bin/pip install -q "${PY_PACKAGES[@]}"

mkdir -p "$out"
for pair in Regular:400 Bold:700; do
  venv/bin/pyftsubset "$ttf/NotoSansThai-${pair%%:*}.ttf" \
    --unicodes=U+0E00-0E7F,U+200B-200D,U+25CC \
    --name-IDs='*' --flavor=woff2 --output-file="$out/noto-sans-thai-${pair##*:}.woff2"
done
venv/bin/pyftsubset "$ttf/NotoColorEmoji.ttf" --text="$EMOJI" --unicodes=U+200D,U+FE0F \
  --name-IDs='*' --flavor=woff2 --output-file="$out/noto-color-emoji.woff2"

# The licence files, and the unicode-range of each file, in one pass over the results.
venv/bin/python - "$out" "$doc/fonts-noto-color-emoji/copyright" "$ttf" "$EMOJI_BUDGET" <<'EOF'
import os, sys
from fontTools.ttLib import TTFont

out, copyright_file, ttf, budget = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

# The OFL 1.1 text as Debian's copyright file carries it (one leading space, "." for blank lines).
lines, on = [], False
for line in open(copyright_file, encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith("License:") and "SIL" in line:
        on = True
        lines = []
        continue
    if on:
        if line and not line.startswith(" "):
            on = False
            continue
        lines.append("" if line.strip() == "." else line[1:])
ofl = "\n".join(lines).strip() + "\n"
assert "SIL OPEN FONT LICENSE Version 1.1" in ofl and "DISCLAIMER" in ofl, "OFL text not found"

def notice(path):
    name = TTFont(path)["name"]
    return name.getDebugName(0), name.getDebugName(1), name.getDebugName(5).split(";")[0]

for source, target, files in [
    ("NotoSansThai-Regular.ttf", "OFL-NotoSansThai.txt", "noto-sans-thai-*.woff2"),
    ("NotoColorEmoji.ttf", "OFL-NotoColorEmoji.txt", "noto-color-emoji.woff2"),
]:
    copyright, family, version = notice(os.path.join(ttf, source))
    with open(os.path.join(out, target), "w", encoding="utf-8") as f:
        f.write(f"{copyright}\n\n{files} in this folder: subset of {family} {version} (Modified "
                f"Versions under the licence below), built by .ci/fonts.sh.\n\n{ofl}")

def ranges(path):
    cps = sorted(c for c in TTFont(path).getBestCmap() if c > 0x7F)
    if "thai" in path:
        # ZWNJ and ZWJ stay in the Thai files but out of their unicode-range: the Thai family comes
        # first in the stacks, and a ZWJ emoji sequence would otherwise fetch the Thai file too.
        cps = [c for c in cps if c not in (0x200C, 0x200D)]
    spans = []
    for c in cps:
        if spans and c == spans[-1][1] + 1:
            spans[-1][1] = c
        else:
            spans.append([c, c])
    return ", ".join(f"U+{a:04X}" if a == b else f"U+{a:04X}-{b:04X}" for a, b in spans)

for name in sorted(os.listdir(out)):
    if name.endswith(".woff2"):
        path = os.path.join(out, name)
        size = os.path.getsize(path)
        print(f"{name}: {size} bytes, {len(TTFont(path).getGlyphOrder())} glyphs")
        print(f"  unicode-range: {ranges(path)};")
        if "emoji" in name and size > budget:
            sys.exit(f"{name} is {size} bytes, over the {budget}-byte budget: shorten EMOJI")
EOF
