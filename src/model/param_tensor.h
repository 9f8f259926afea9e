// What every architecture's parameter lists share: a tensor's name, shape and role, and where
// it lives in a buffer that packs all of a model's parameters end to end. The trainer, the
// optimizer and the checkpoint writer walk these lists without knowing the architecture.
#ifndef FC_MODEL_PARAM_TENSOR_H
#define FC_MODEL_PARAM_TENSOR_H

#include <stddef.h>
#include <stdint.h>

typedef enum fc_tensor_role {
    FC_TENSOR_EMBEDDING, // an embedding table (tokens, positions, token types)
    FC_TENSOR_MATRIX,    // Linear weight [out, in]
    FC_TENSOR_NORM,      // LayerNorm weight
    FC_TENSOR_BIAS,      // any bias (Linear or LayerNorm)
} fc_tensor_role;

typedef struct fc_tensor_spec {
    char name[96];
    int ndim;
    int64_t shape[2];
    fc_tensor_role role;
} fc_tensor_spec;

// One parameter tensor in a packed buffer: its spec and where it lives. weight and grad are
// its slots in the architecture's named views (NULL where a tensor is reached through another
// one's slot, e.g. BERT's key and value matrices through the fused query|key|value view).
typedef struct fc_param_tensor {
    fc_tensor_spec spec;
    size_t count;         // elements
    size_t offset;        // floats from the start of a buffer that packs every tensor in order
    const float **weight; // its slot in the architecture's weights struct
    float **grad;         // its slot in the architecture's gradients struct
} fc_param_tensor;

// A growing list of tensor specs, as each architecture's tensor list builds it.
typedef struct fc_tensor_spec_list {
    fc_tensor_spec *items;
    int count, capacity;
} fc_tensor_spec_list;

// Appends name with shape [rows] (cols 0) or [rows, cols].
void fc_tensor_spec_add(fc_tensor_spec_list *l, const char *name, fc_tensor_role role,
                        int64_t rows, int64_t cols);

// A model's trainable parameters seen without their architecture: the list, the fp32 master
// weights and the gradients, both packed in list order.
typedef struct fc_param_set {
    const fc_param_tensor *tensors;
    size_t n_tensors;
    size_t count; // floats in values and grads
    float *values;
    float *grads;
} fc_param_set;

#endif
