"""The register: the survey spreadsheet imported, the register exported (docs/register.md)."""
