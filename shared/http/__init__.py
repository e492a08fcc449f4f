"""What both services' Flask apps take from one place: the app and its OpenAPI set-up,
request ids, the operational routes, the response headers and request log line
(`app`), and problem+json errors with the same field paths (`problems`). Each service
keeps only its own table of domain error → HTTP status."""
