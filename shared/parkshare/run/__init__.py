"""The processes: the container's launcher (launch), the CLI (cli), the one-origin
gateway of `parkshare dev` (gateway), what the image serves (serve) and the web app's
files (spa)."""
