func.func @trits_packing(%w: !tern.trits<2x3, nibble>)
