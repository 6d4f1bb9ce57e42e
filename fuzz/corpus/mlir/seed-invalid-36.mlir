func.func @trits_empty(%w: !tern.trits<0x3, none>)
