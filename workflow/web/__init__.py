"""The web application (`zhenggai serve`): pages rendered on the server and a JSON API, both thin
shells over the same use cases as the command line — parse, call one use case, render."""
