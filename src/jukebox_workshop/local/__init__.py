"""The local platform (the `platform` extra), for laptops and CI only: a workbench never
imports it. Its services, their processes and ports, the servers, deploy, and `make workshop`."""
