/* The read floor: the least a libpcap-based tool must do to look at every packet of a file.
 *
 *   cc -O2 -o pcap_loop tools/bench/pcap_loop.c -lpcap
 *   pcap_loop FILE          prints "packets=N bytes=B" (B = sum of captured lengths)
 *
 * pcap_open_offline + pcap_next_ex, counting packets and captured bytes, and touching the first
 * and last byte of each packet so that the data is really read. tools/bench/run builds it into
 * its work directory and uses its packet count for the packets/s column.
 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 1;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "pcap_loop: %s\n", err);
        return 2;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    unsigned long long packets = 0, bytes = 0, touch = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        packets++;
        bytes += h->caplen;
        if (h->caplen)
            touch += data[0] + data[h->caplen - 1];
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap_loop: %s (after %llu packets)\n", pcap_geterr(p), packets);
        pcap_close(p);
        return 3;
    }
    pcap_close(p);
    printf("packets=%llu bytes=%llu touch=%llu\n", packets, bytes, touch & 0xff);
    return 0;
}
