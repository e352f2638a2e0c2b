"""Report renderers built on the one report model: the JSON report (`Report.to_json()`).

Each format is a function from that JSON to text (`html.render_html`), and one writer
(`writer.write_report`) puts any of them in a file: directories created, written
atomically, nothing half-written left behind, "Wrote ... report to PATH".
"""
