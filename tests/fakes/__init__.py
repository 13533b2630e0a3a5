"""Fakes of the cloud services Tandem talks to: real HTTP servers on loopback that the real
client libraries talk to, as strict as the real APIs."""
