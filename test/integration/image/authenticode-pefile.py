#!/usr/bin/python3
# Independent Authenticode SHA-256 and PCR 4 replay for the TypeScript tests: headers parsed by python3-pefile,
# hashing written from the PE/COFF Authenticode spec (as EDK2 measures it), not from lib/image.
# Usage: authenticode-pefile.py FILE...            -> one hex digest per file
#        authenticode-pefile.py --pcr4 UKI LINUX N -> PCR 4 after N failed boot options
import hashlib, sys, pefile

def authenticode(data):
    pe = pefile.PE(data=data, fast_load=True)
    opt = pe.OPTIONAL_HEADER
    checksum_at = opt.get_file_offset() + 0x40
    h = hashlib.sha256(data[:checksum_at])
    cert_size = 0
    if len(opt.DATA_DIRECTORY) > 4:
        entry = opt.DATA_DIRECTORY[4]
        h.update(data[checksum_at + 4:entry.get_file_offset()])
        h.update(data[entry.get_file_offset() + 8:opt.SizeOfHeaders])
        cert_size = entry.Size
    else:
        h.update(data[checksum_at + 4:opt.SizeOfHeaders])
    hashed = opt.SizeOfHeaders
    for s in sorted((s for s in pe.sections if s.SizeOfRawData), key=lambda s: s.PointerToRawData):
        h.update(data[s.PointerToRawData:s.PointerToRawData + s.SizeOfRawData])
        hashed += s.SizeOfRawData
    if len(data) > hashed:
        h.update(data[hashed:len(data) - cert_size])
    return h.digest()

def pcr4(uki, linux, failed):
    call = hashlib.sha256(b'Calling EFI Application from Boot Option').digest()
    ret = hashlib.sha256(b'Returning from EFI Application from Boot Option').digest()
    pcr = bytes(32)
    for d in [call, hashlib.sha256(bytes(4)).digest()] + [ret, call] * failed + [authenticode(uki), authenticode(linux)]:
        pcr = hashlib.sha256(pcr + d).digest()
    return pcr

if sys.argv[1] == '--pcr4':
    read = lambda p: open(p, 'rb').read()
    print(pcr4(read(sys.argv[2]), read(sys.argv[3]), int(sys.argv[4])).hex())
else:
    for path in sys.argv[1:]:
        print(authenticode(open(path, 'rb').read()).hex())
