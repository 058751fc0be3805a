"""QR codes that lead to a content item's viewer page (PNG, SVG, print-ready PDF)."""
