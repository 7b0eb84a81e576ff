"""Reading and writing engram weights files (safetensors with engram's metadata) from PyTorch.

Written by `engram export MODEL --to pytorch DIR`, beside the model's module (gpt.py, diffusion.py or
tagger.py) and train.py. Needs only torch and numpy.

engram stores a 3x3 convolution as [9 * in, out] (the layout of [3, 3, in, out]) and a linear layer as
[in, out]; PyTorch's Conv2d wants [out, in, 3, 3] and nn.Linear [out, in]. The helpers here convert both ways.
"""
import json
import os
import struct

import numpy as np
import torch

DTYPES = {'F32': '<f4', 'I32': '<i4', 'U16': '<u2', 'U8': 'u1'}


def read_safetensors(path):
    """Tensors and string metadata of a safetensors file."""
    with open(path, 'rb') as f:
        (length,) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    metadata = header.pop('__metadata__', {})
    tensors = {}
    for name, info in header.items():
        if info['dtype'] not in DTYPES:
            raise ValueError(f'{path}: {name} is {info["dtype"]}; engram files hold {", ".join(DTYPES)}')
        start, end = info['data_offsets']
        array = np.frombuffer(data[start:end], dtype=DTYPES[info['dtype']]).reshape(info['shape']).copy()
        tensors[name] = torch.from_numpy(array.astype(np.int64) if info['dtype'] == 'U16' else array)
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    """Float32 tensors and string metadata, written to a temporary file and renamed (never half a file)."""
    header, blobs, offset = {'__metadata__': metadata}, [], 0
    for name, t in tensors.items():
        blob = t.detach().to(torch.float32).contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    tmp = f'{path}.tmp-{os.getpid()}'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))
    os.replace(tmp, path)


def load_record(path, kind):
    """(tensors, metadata, model_config) of an engram file, refusing another family's file."""
    tensors, metadata = read_safetensors(path)
    if metadata.get('engram.kind') != kind:
        raise ValueError(f'{path} holds a {metadata.get("engram.kind")} model; this needs a {kind} model')
    return tensors, metadata, json.loads(metadata['engram.model_config'])


def conv_from_engram(w):
    """[9 * in, out] -> Conv2d's [out, in, 3, 3]."""
    return w.reshape(3, 3, -1, w.shape[1]).permute(3, 2, 0, 1).contiguous()


def conv_to_engram(w):
    """Conv2d's [out, in, 3, 3] -> [9 * in, out]."""
    return w.permute(2, 3, 1, 0).reshape(-1, w.shape[0]).contiguous()


def linear_from_engram(w):
    """[in, out] -> nn.Linear's [out, in]."""
    return w.T.contiguous()


linear_to_engram = linear_from_engram


def skip_from_engram(w):
    """A 1x1 convolution stored [in, out] -> Conv2d's [out, in, 1, 1]."""
    return w.T.contiguous()[:, :, None, None]


def skip_to_engram(w):
    return w[:, :, 0, 0].T.contiguous()


# How each parameter layout converts: a module's engram_names() lists (engram name, parameter, layout).
FROM_ENGRAM = {'conv': conv_from_engram, 'linear': linear_from_engram, 'skip': skip_from_engram, None: lambda w: w}
TO_ENGRAM = {'conv': conv_to_engram, 'linear': linear_to_engram, 'skip': skip_to_engram, None: lambda w: w}


def load_parameters(model, tensors):
    """Copies an engram file's tensors into a module, converting each layout."""
    with torch.no_grad():
        for name, p, layout in model.engram_names():
            p.copy_(FROM_ENGRAM[layout](tensors[name]))
    return model


def engram_parameters(model):
    """A module's parameters under engram's names and layouts, ready for write_safetensors."""
    return {name: TO_ENGRAM[layout](p).detach().cpu() for name, p, layout in model.engram_names()}


def load_module(path, kind, module_class):
    """The model in an engram file of a family, in eval mode, and the file's metadata."""
    tensors, metadata, config = load_record(path, kind)
    return load_parameters(module_class(config), tensors).eval(), metadata
