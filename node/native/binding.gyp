{
  "targets": [
    {
      "target_name": "pages",
      "sources": ["pages.c"],
      "cflags": ["-O2", "-Wall", "-pthread"],
      "ldflags": ["-pthread"],
      "conditions": [["OS!='linux'", { "type": "none", "sources!": ["pages.c"] }]]
    }
  ]
}
