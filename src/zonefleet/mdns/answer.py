"""Authoritative answers to ordinary queries from storage (RFC 1034 §4.3.2, RFC 4592).

Answers, in-zone CNAME chains, wildcards, NODATA and NXDOMAIN with the SOA in
the authority section, referrals below delegations, REFUSED outside hosted zones.
"""

from __future__ import annotations

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.NS
import dns.rdtypes.ANY.SOA
import dns.rrset

from zonefleet.mdns.store import HostedZone, ZoneStore

MAX_CNAME_HOPS = 8
WILDCARD = dns.name.Name([b"*"])

ByType = dict[dns.rdatatype.RdataType, dns.rrset.RRset]


class Answerer:
    """Builds the response to one QUERY-opcode, non-transfer question."""

    def __init__(self, store: ZoneStore) -> None:
        self.store = store

    def answer(
        self, query: dns.message.Message, rdtype: dns.rdatatype.RdataType | None = None
    ) -> dns.message.Message:
        """The response to the query's question, or to its name with `rdtype` instead."""
        response = dns.message.make_response(query)
        question = query.question[0]
        with self.store.reading():
            zone = self.store.zone_for(question.name)
            if zone is None:
                response.set_rcode(dns.rcode.REFUSED)
                return response
            _Lookup(self.store, zone, response).run(question.name, rdtype or question.rdtype)
        return response


class _Lookup:
    def __init__(self, store: ZoneStore, zone: HostedZone, response: dns.message.Message) -> None:
        self.store = store
        self.zone = zone
        self.response = response

    def run(self, qname: dns.name.Name, qtype: dns.rdatatype.RdataType) -> None:
        chain = _chain(self.zone.origin, qname)
        wildcards = [WILDCARD.concatenate(name) for name in chain[:-1]]
        found = self._by_name(self.store.rrsets_at(self.zone, chain + wildcards))
        self.soa = found[self.zone.origin][dns.rdatatype.SOA]
        for name in chain[1:]:
            cut = found.get(name, {}).get(dns.rdatatype.NS)
            if cut is not None:
                self._refer(cut)
                return
        self.response.flags |= dns.flags.AA
        if qname in found:
            self._fill(qname, qtype, found[qname], hops=0)
        elif self.store.has_names_below(self.zone, qname):
            self._negative(dns.rcode.NOERROR)
        else:
            self._wildcard_or_nxdomain(qname, qtype, chain, found)

    def _wildcard_or_nxdomain(
        self,
        qname: dns.name.Name,
        qtype: dns.rdatatype.RdataType,
        chain: list[dns.name.Name],
        found: dict[dns.name.Name, ByType],
    ) -> None:
        for encloser in reversed(chain[:-1]):
            exists = (
                encloser == self.zone.origin
                or encloser in found
                or self.store.has_names_below(self.zone, encloser)
            )
            if not exists:
                continue
            source = found.get(WILDCARD.concatenate(encloser))
            if source is None:
                break
            renamed = {rdtype: _renamed(rrset, qname) for rdtype, rrset in source.items()}
            self._fill(qname, qtype, renamed, hops=0)
            return
        self._negative(dns.rcode.NXDOMAIN)

    def _fill(
        self, owner: dns.name.Name, qtype: dns.rdatatype.RdataType, here: ByType, hops: int
    ) -> None:
        if qtype == dns.rdatatype.ANY:
            self.response.answer.extend(here.values())
        elif qtype in here:
            self.response.answer.append(here[qtype])
        elif dns.rdatatype.CNAME in here:
            cname = here[dns.rdatatype.CNAME]
            self.response.answer.append(cname)
            self._chase(cname, qtype, hops + 1)
        elif not self.response.answer:
            self._negative(dns.rcode.NOERROR)

    def _chase(self, cname: dns.rrset.RRset, qtype: dns.rdatatype.RdataType, hops: int) -> None:
        rdata = cname[0]
        assert isinstance(rdata, dns.rdtypes.ANY.CNAME.CNAME)
        target = rdata.target
        if hops > MAX_CNAME_HOPS or not target.is_subdomain(self.zone.origin):
            return
        found = self._by_name(self.store.rrsets_at(self.zone, [target]))
        if target in found and dns.rdatatype.NS not in found[target]:
            self._fill(target, qtype, found[target], hops)

    def _refer(self, cut: dns.rrset.RRset) -> None:
        self.response.authority.append(cut)
        hosts = [rdata.target for rdata in cut if isinstance(rdata, dns.rdtypes.ANY.NS.NS)]
        glue = [host for host in hosts if host.is_subdomain(cut.name)]
        if glue:
            for rrset in self.store.rrsets_at(self.zone, glue):
                if rrset.rdtype in (dns.rdatatype.A, dns.rdatatype.AAAA):
                    self.response.additional.append(rrset)

    def _negative(self, rcode: dns.rcode.Rcode) -> None:
        self.response.set_rcode(rcode)
        soa = self.soa
        rdata = soa[0]
        assert isinstance(rdata, dns.rdtypes.ANY.SOA.SOA)
        negative = dns.rrset.RRset(soa.name, soa.rdclass, soa.rdtype)
        negative.update_ttl(min(soa.ttl, rdata.minimum))
        negative.add(rdata)
        self.response.authority.append(negative)

    @staticmethod
    def _by_name(rrsets: list[dns.rrset.RRset]) -> dict[dns.name.Name, ByType]:
        found: dict[dns.name.Name, ByType] = {}
        for rrset in rrsets:
            found.setdefault(rrset.name, {})[rrset.rdtype] = rrset
        return found


def _chain(origin: dns.name.Name, qname: dns.name.Name) -> list[dns.name.Name]:
    """The names from the zone apex down to `qname`, apex first."""
    names = [qname]
    while names[-1] != origin:
        names.append(names[-1].parent())
    return names[::-1]


def _renamed(rrset: dns.rrset.RRset, owner: dns.name.Name) -> dns.rrset.RRset:
    copy = dns.rrset.RRset(owner, rrset.rdclass, rrset.rdtype)
    copy.update_ttl(rrset.ttl)
    for rdata in rrset:
        copy.add(rdata)
    return copy
