"""The periodic report (定期通报) for the joint meeting (联席会议): docs/report.md."""
