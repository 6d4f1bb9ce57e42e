func.func @trits_rank(%w: !tern.trits<2x3x4, none>)
