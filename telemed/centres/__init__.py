"""Centres of the network (OncoCREAN, UMAE, second-level hospitals, external partners)."""
