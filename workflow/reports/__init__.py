"""Reports as of any date: the public report, weekly and monthly, the board, and the document model
that renders them as Markdown or Word."""
