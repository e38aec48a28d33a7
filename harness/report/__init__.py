"""The run report: schema (report.json), writer, markdown (report.md), html (report.html), and compare (two
reports side by side). Everything renders from report.json alone, and nothing here imports torch."""
